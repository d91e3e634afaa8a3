# Drawn by attnsim 0.1.0. Data: s1-layers.svg.csv.
# Rerun with: gnuplot s1-layers.svg.gp
set terminal svg size 1000,338 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9408 center
set xrange [-0.5:79.5]
set yrange [-1.75:0.5]
set xtics 0,16 out nomirror
set mxtics 16
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '4:1 lightning attention : attention (16:4 layers)' at -0.5,-0.40 left
set label 2 '7:1 lightning attention : MLA (70:10 layers)' at -0.5,-1.40 left
set ytics ('Ring-mini-linear-2.0' -0, 'Ling-2.5-1T' -1) scale 0 nomirror
set key at screen 0.5, screen 0.8817 center top horizontal maxrows 2 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.6923
set style fill solid 1.0 border lc rgb 'white'
plot 's1-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'lightning attention' with boxxyerror fc rgb '#FFAABB', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'MLA' with boxxyerror fc rgb '#882255'
