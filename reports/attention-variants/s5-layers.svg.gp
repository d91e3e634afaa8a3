# Drawn by attnsim 0.1.0. Data: s5-layers.svg.csv.
# Rerun with: gnuplot s5-layers.svg.gp
set terminal svg size 1000,728 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's5-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9725 center
set xrange [-0.5:51.5]
set yrange [-5.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '10 short conv : 6 attention' at -0.5,-0.40 left
set label 2 '2:1 RG-LRU : sliding-window attention (18:8 layers)' at -0.5,-1.40 left
set label 3 '32 RWKV-7' at -0.5,-2.40 left
set label 4 '32 mLSTM' at -0.5,-3.40 left
set label 5 '24 Mamba-2 : 4 attention' at -0.5,-4.40 left
set label 6 '32 attention' at -0.5,-5.40 left
set ytics ('LFM2-1.2B' -0, 'RecurrentGemma-2B' -1, 'RWKV7-World3-2.9B' -2, 'xLSTM 7B' -3, 'Nemotron-H-8B' -4, 'Llama 3 8B' -5) scale 0 nomirror
set key at screen 0.5, screen 0.9451 center top horizontal maxrows 5 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.7500
set style fill solid 1.0 border lc rgb 'white'
plot 's5-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba-2' with boxxyerror fc rgb '#EEDD88', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'mLSTM' with boxxyerror fc rgb '#BBCCEE', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'RG-LRU recurrent block' with boxxyerror fc rgb '#CCDDAA', \
     '' using 3:(column(6) == 4 ? -column(1) : NaN):(0.5):(0.26) title 'RWKV-7 time mixing' with boxxyerror fc rgb '#DDDDDD', \
     '' using 3:(column(6) == 5 ? -column(1) : NaN):(0.5):(0.26) title 'gated short convolution' with boxxyerror fc rgb '#FFCCCC', \
     '' using 3:(column(6) == 6 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention' with boxxyerror fc rgb '#EE7733', \
     '' using 3:(column(6) == 7 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255', \
     '' using 3:(column(6) == 8 ? -column(1) : NaN):(0.5):(0.26) title 'NoPE attention' with boxxyerror fc rgb '#663333', \
     '' using 3:(column(6) == 0 ? -column(1) : NaN):(0.5):(0.26) title 'no mixer (FFN only)' with boxxyerror fc rgb '#EEEEEE' fs solid 1.0 border lc rgb '#BBBBBB'
