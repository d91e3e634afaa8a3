# Drawn by attnsim 0.1.0. Data: s7-layers.svg.csv.
# Rerun with: gnuplot s7-layers.svg.gp
set terminal svg size 1000,650 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's7-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9692 center
set xrange [-0.5:93.5]
set yrange [-5.75:0.5]
set xtics 0,16 out nomirror
set mxtics 16
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '4:1 local : global (28:7 layers)' at -0.5,-0.40 left
set label 2 '32 parallel attention + SSM' at -0.5,-1.40 left
set label 3 '44 attention' at -0.5,-2.40 left
set label 4 '81 Mamba-2 : 13 attention' at -0.5,-3.40 left
set label 5 '5:1 local : global (29:5 layers)' at -0.5,-4.40 left
set label 6 '36 attention' at -0.5,-5.40 left
set ytics ('Gemma 3n E4B' -0, 'Hymba-1.5B' -1, 'Nanbeige 4.2 3B' -2, 'Zamba2-7B' -3, 'Gemma 3 4B' -4, 'Qwen3 4B' -5) scale 0 nomirror
set key at screen 0.5, screen 0.9385 center top horizontal maxrows 2 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.8400
set style fill solid 1.0 border lc rgb 'white'
plot 's7-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba-2' with boxxyerror fc rgb '#EEDD88', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention' with boxxyerror fc rgb '#EE7733', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255', \
     '' using 3:(column(6) == 4 ? -column(1) : NaN):(0.5):(0.26) title 'parallel attention + SSM' with boxxyerror fc rgb '#225522'
