# Drawn by attnsim 0.1.0. Data: s3-layers.svg.csv.
# Rerun with: gnuplot s3-layers.svg.gp
set terminal svg size 1000,546 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's3-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9634 center
set xrange [-0.5:61.5]
set yrange [-4.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '5:1 local : global (52:10 layers)' at -0.5,-0.40 left
set label 2 '5:1 local : global (52:10 layers)' at -0.5,-1.40 left
set label 3 '5:1 local : global (52:10 layers)' at -0.5,-2.40 left
set label 4 '1:1 local : global (31:31 layers)' at -0.5,-3.40 left
set label 5 '3:1 local : global (47:15 layers)' at -0.5,-4.40 left
set ytics ('Gemma 3 27B' -0, 'Gemma 3 27B (window=512)' -1, 'Gemma 3 27B (window=4096)' -2, 'Gemma 3 27B (linear_ratio=1:1)' -3, 'Gemma 3 27B (linear_ratio=3:1)' -4) scale 0 nomirror
set key at screen 0.5, screen 0.9267 center top horizontal maxrows 1 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.8571
set style fill solid 1.0 border lc rgb 'white'
plot 's3-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention' with boxxyerror fc rgb '#EE7733', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255'
