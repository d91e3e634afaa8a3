# Drawn by attnsim 0.1.0. Data: s8-layers.svg.csv.
# Rerun with: gnuplot s8-layers.svg.gp
set terminal svg size 1000,520 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's8-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9615 center
set xrange [-0.5:60.5]
set yrange [-3.75:0.5]
set xtics 0,8 out nomirror
set mxtics 8
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '2 SWA : 21 CSA : 20 HCA' at -0.5,-0.40 left
set label 2 '31 HCA : 30 CSA' at -0.5,-1.40 left
set label 3 '61 DSA' at -0.5,-2.40 left
set label 4 '61 MLA' at -0.5,-3.40 left
set ytics ('DeepSeek-V4-Flash' -0, 'DeepSeek-V4-Pro' -1, 'DeepSeek-V3.2' -2, 'DeepSeek-V3' -3) scale 0 nomirror
set key at screen 0.5, screen 0.9231 center top horizontal maxrows 3 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.7500
set style fill solid 1.0 border lc rgb 'white'
plot 's8-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention (shared K=V)' with boxxyerror fc rgb '#999933', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'compressed sparse attention' with boxxyerror fc rgb '#115588', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'DSA' with boxxyerror fc rgb '#225555', \
     '' using 3:(column(6) == 4 ? -column(1) : NaN):(0.5):(0.26) title 'heavily compressed attention' with boxxyerror fc rgb '#663366', \
     '' using 3:(column(6) == 5 ? -column(1) : NaN):(0.5):(0.26) title 'MLA' with boxxyerror fc rgb '#882255'
