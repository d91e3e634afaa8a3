# Drawn by attnsim 0.1.0. Data: s1-flops.svg.csv.
# Rerun with: gnuplot s1-flops.svg.gp
set terminal svg size 1000,620 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-flops.svg'
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
set title 'MoE hybrids (Nemotron 3, Granite 4.0-H): prefill FLOPs of one sequence'."\n".'causal: masked pairs skipped, T(T+1)/2 (FlashAttention); linear/SSM chunked, C = 64; lm head counted'
set logscale x 2
set xrange [853.333333:314572.800000]
set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144)
set xlabel 'context length T (tokens, prefilled from an empty cache)'
set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1
set border 3
set tics nomirror
set ylabel 'prefill FLOPs (log scale)'
set logscale y 10
set yrange [4478981898240:1.6450634203004928e+16]
set ytics ('10^12' 1000000000000, '10^13' 10000000000000, '10^14' 100000000000000, '10^15' 1000000000000000, '10^16' 1e+16, '10^17' 1e+17)
set key top left Left reverse box opaque samplen 3 spacing 1.2
plot 's1-flops.svg.csv' using 1:2 title 'Nemotron 3 Nano 30B-A3B' with linespoints lt 1, \
     '' using 1:3 title 'Nemotron 3 Super 120B-A12B' with linespoints lt 2, \
     '' using 1:($1 <= 131072 ? column(4) : NaN) title 'Granite 4.0-H Small' with linespoints lt 3, \
     '' using 1:($1 >= 131072 ? column(4) : NaN) notitle with linespoints lt 3 dt 3 pt 6, \
     NaN title 'dotted, open: past max_context' with linespoints lc rgb '#000000' dt 3 pt 6 lw 2
