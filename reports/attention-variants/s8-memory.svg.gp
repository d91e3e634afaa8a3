# Drawn by attnsim 0.1.0. Data: s8-memory.svg.csv.
# Rerun with: gnuplot s8-memory.svg.gp
set terminal svg size 1000,620 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's8-memory.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set linetype 1 lc rgb '#000000' dt 1 pt 7 lw 2 ps 1.1
set linetype 2 lc rgb '#E69F00' dt 2 pt 5 lw 2 ps 1.1
set linetype 3 lc rgb '#0072B2' dt 3 pt 9 lw 2 ps 1.1
set linetype 4 lc rgb '#009E73' dt 4 pt 13 lw 2 ps 1.1
set linetype 5 lc rgb '#D55E00' dt 5 pt 11 lw 2 ps 1.1
set linetype 6 lc rgb '#56B4E9' dt 1 pt 6 lw 2 ps 1.1
set linetype 7 lc rgb '#CC79A7' dt 2 pt 4 lw 2 ps 1.1
set linetype 8 lc rgb '#7F7F7F' dt 3 pt 8 lw 2 ps 1.1
set title 'DeepSeek V4 (Flash, Pro) - compressed attention beside MLA and DSA: KV cache + state vs context, batch 1'
set logscale x 2
set xrange [853.333333:1258291.200000]
set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, '1M' 1048576)
set xlabel 'context length (tokens)'
set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1
set border 3
set tics nomirror
set ylabel 'KV cache + state (GiB = 2^30 bytes, log scale)'
set logscale y 10
set yrange [*:*]
set key top left Left reverse box opaque samplen 3 spacing 1.2
plot 's8-memory.svg.csv' using 1:4 title 'DeepSeek-V4-Flash' with linespoints lt 1, \
     '' using 1:7 title 'DeepSeek-V4-Pro' with linespoints lt 2, \
     '' using 1:($1 <= 131072 ? column(10) : NaN) title 'DeepSeek-V3.2' with linespoints lt 3, \
     '' using 1:($1 >= 131072 ? column(10) : NaN) notitle with linespoints lt 3 dt 3 pt 6, \
     '' using 1:($1 <= 131072 ? column(13) : NaN) title 'DeepSeek-V3' with linespoints lt 4, \
     '' using 1:($1 >= 131072 ? column(13) : NaN) notitle with linespoints lt 4 dt 3 pt 6, \
     NaN title 'dotted, open: past max_context' with linespoints lc rgb '#000000' dt 3 pt 6 lw 2
