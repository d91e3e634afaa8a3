# Drawn by attnsim 0.1.0. Data: s1-layers.svg.csv.
# Rerun with: gnuplot s1-layers.svg.gp
set terminal svg size 1000,728 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9725 center
set xrange [-0.5:63.5]
set yrange [-6.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-0.40 left
set label 2 '3:1 Gated DeltaNet : gated attention (24:8 layers)' at -0.5,-1.40 left
set label 3 '3:1 Gated DeltaNet : gated attention (48:16 layers)' at -0.5,-2.40 left
set label 4 '3:1 Gated DeltaNet : gated attention (30:10 layers)' at -0.5,-3.40 left
set label 5 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-4.40 left
set label 6 '3:1 Gated DeltaNet : gated attention (45:15 layers)' at -0.5,-5.40 left
set label 7 '36 attention' at -0.5,-6.40 left
set ytics ('Qwen3-Next 80B-A3B' -0, 'Qwen3.5-9B' -1, 'Qwen3.5-27B' -2, 'Qwen3.5-35B-A3B' -3, 'Qwen3.5-122B-A10B' -4, 'Qwen3.5-397B-A17B' -5, 'Qwen3 8B' -6) scale 0 nomirror
set key at screen 0.5, screen 0.9451 center top horizontal maxrows 2 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.8571
set style fill solid 1.0 border lc rgb 'white'
plot 's1-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Gated DeltaNet' with boxxyerror fc rgb '#77AADD', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'gated attention' with boxxyerror fc rgb '#000000'
