# Drawn by attnsim 0.1.0. Data: s1-layers.svg.csv.
# Rerun with: gnuplot s1-layers.svg.gp
set terminal svg size 1000,416 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9519 center
set xrange [-0.5:87.5]
set yrange [-2.75:0.5]
set xtics 0,16 out nomirror
set mxtics 16
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '23 Mamba-2 : 6 attention' at -0.5,-0.40 left
set label 2 '40 Mamba-2 : 8 attention' at -0.5,-1.40 left
set label 3 '9:1 Mamba-2 : attention (36:4 layers)' at -0.5,-2.40 left
set ytics ('Nemotron 3 Nano 30B-A3B' -0, 'Nemotron 3 Super 120B-A12B' -1, 'Granite 4.0-H Small' -2) scale 0 nomirror
set key at screen 0.5, screen 0.9038 center top horizontal maxrows 2 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.7500
set style fill solid 1.0 border lc rgb 'white'
plot 's1-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba-2' with boxxyerror fc rgb '#EEDD88', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'NoPE attention' with boxxyerror fc rgb '#663333', \
     '' using 3:(column(6) == 0 ? -column(1) : NaN):(0.5):(0.26) title 'no mixer (FFN only)' with boxxyerror fc rgb '#EEEEEE' fs solid 1.0 border lc rgb '#BBBBBB'
