# Drawn by attnsim 0.1.0. Data: s4-layers.svg.csv.
# Rerun with: gnuplot s4-layers.svg.gp
set terminal svg size 1000,390 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's4-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9487 center
set xrange [-0.5:47.5]
set yrange [-2.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-0.40 left
set label 2 '48 gated attention' at -0.5,-1.40 left
set label 3 '7:1 Gated DeltaNet : gated attention (42:6 layers)' at -0.5,-2.40 left
set ytics ('Qwen3-Next 80B-A3B' -0, 'Qwen3-Next 80B-A3B (linear_ratio=none)' -1, 'Qwen3-Next 80B-A3B (linear_ratio=7:1)' -2) scale 0 nomirror
set key at screen 0.5, screen 0.8974 center top horizontal maxrows 1 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.8000
set style fill solid 1.0 border lc rgb 'white'
plot 's4-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Gated DeltaNet' with boxxyerror fc rgb '#77AADD', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'gated attention' with boxxyerror fc rgb '#000000'
