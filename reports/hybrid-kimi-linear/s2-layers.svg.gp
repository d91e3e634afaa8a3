# Drawn by attnsim 0.1.0. Data: s2-layers.svg.csv.
# Rerun with: gnuplot s2-layers.svg.gp
set terminal svg size 1000,468 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's2-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9573 center
set xrange [-0.5:26.5]
set yrange [-3.75:0.5]
set xtics 0,4 out nomirror
set mxtics 4
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '3:1 KDA : MLA (20:7 layers)' at -0.5,-0.40 left
set label 2 '1:1 KDA : MLA (14:13 layers)' at -0.5,-1.40 left
set label 3 '7:1 KDA : MLA (24:3 layers)' at -0.5,-2.40 left
set label 4 '27 MLA' at -0.5,-3.40 left
set ytics ('Kimi Linear 48B-A3B' -0, 'Kimi Linear 48B-A3B (linear_ratio=1:1)' -1, 'Kimi Linear 48B-A3B (linear_ratio=7:1)' -2, 'Kimi Linear 48B-A3B (linear_ratio=none)' -3) scale 0 nomirror
set key at screen 0.5, screen 0.9145 center top horizontal maxrows 1 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.8333
set style fill solid 1.0 border lc rgb 'white'
plot 's2-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Kimi Delta Attention' with boxxyerror fc rgb '#99DDFF', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'MLA' with boxxyerror fc rgb '#882255'
