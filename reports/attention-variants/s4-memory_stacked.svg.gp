# Drawn by attnsim 0.1.0. Data: s4-memory_stacked.svg.csv.
# Rerun with: gnuplot s4-memory_stacked.svg.gp
set terminal svg size 1000,920 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's4-memory_stacked.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set logscale x 2
set xrange [853.333333:1258291.200000]
set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, '1M' 1048576)
set xlabel 'context length (tokens)'
set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1
set border 3
set tics nomirror
set ylabel 'KV cache + state (GiB = 2^30 bytes)'
set yrange [0:103.680000]
set key top left Left reverse box opaque samplen 2
set multiplot layout 2,2 title 'Qwen3-Next vs the same model with full attention everywhere: KV cache + state vs context, batch 1'
set title 'Qwen3-Next 80B-A3B (base)'
set arrow 100 from 262144,graph 0 to 262144,graph 1 nohead lc rgb '#000000' dt 3 lw 1.5
set label 100 'max_context 256K' at 262144,graph 0.6 right offset -0.6,0
plot 's4-memory_stacked.svg.csv' using 1:(0):3 title 'recurrent + conv state: 0.037 GiB' with filledcurves fc rgb '#77AADD' fs solid 1.0, \
     '' using 1:3:4 title 'KV cache' with filledcurves fc rgb '#222255' fs solid 1.0, \
     '' using 1:4 notitle with lines lc rgb '#000000' lw 1.5
set title 'linear_ratio=none'
set arrow 100 from 262144,graph 0 to 262144,graph 1 nohead lc rgb '#000000' dt 3 lw 1.5
set label 100 'max_context 256K' at 262144,graph 0.6 right offset -0.6,0
plot 's4-memory_stacked.svg.csv' using 1:6:7 title 'KV cache' with filledcurves fc rgb '#222255' fs solid 1.0, \
     '' using 1:7 notitle with lines lc rgb '#000000' lw 1.5
set title 'linear_ratio=7:1'
set arrow 100 from 262144,graph 0 to 262144,graph 1 nohead lc rgb '#000000' dt 3 lw 1.5
set label 100 'max_context 256K' at 262144,graph 0.6 right offset -0.6,0
plot 's4-memory_stacked.svg.csv' using 1:(0):9 title 'recurrent + conv state: 0.043 GiB' with filledcurves fc rgb '#77AADD' fs solid 1.0, \
     '' using 1:9:10 title 'KV cache' with filledcurves fc rgb '#222255' fs solid 1.0, \
     '' using 1:10 notitle with lines lc rgb '#000000' lw 1.5
unset multiplot
