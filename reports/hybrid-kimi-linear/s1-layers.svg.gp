# Drawn by attnsim 0.1.0. Data: s1-layers.svg.csv.
# Rerun with: gnuplot s1-layers.svg.gp
set terminal svg size 1000,312 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9359 center
set xrange [-0.5:60.5]
set yrange [-1.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '3:1 KDA : MLA (20:7 layers)' at -0.5,-0.40 left
set label 2 '61 MLA' at -0.5,-1.40 left
set ytics ('Kimi Linear 48B-A3B' -0, 'Kimi K2' -1) scale 0 nomirror
set key at screen 0.5, screen 0.8718 center top horizontal maxrows 1 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.7500
set style fill solid 1.0 border lc rgb 'white'
plot 's1-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Kimi Delta Attention' with boxxyerror fc rgb '#99DDFF', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'MLA' with boxxyerror fc rgb '#882255'
