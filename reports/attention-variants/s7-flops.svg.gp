# Drawn by attnsim 0.1.0. Data: s7-flops.svg.csv.
# Rerun with: gnuplot s7-flops.svg.gp
set terminal svg size 1000,642 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's7-flops.svg'
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
set title 'Layers that share - cross-layer KV, shared blocks, looped depth, meta tokens: prefill FLOPs of one sequence'."\n".'causal: masked pairs skipped, T(T+1)/2 (FlashAttention); linear/SSM chunked, C = 64; lm head counted'
set logscale x 2
set xrange [853.333333:314572.800000]
set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144)
set xlabel 'context length T (tokens, prefilled from an empty cache)'
set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1
set border 3
set tics nomirror
set ylabel 'prefill FLOPs (log scale)'
set logscale y 10
set yrange [2187716198400:6.108639858052301e+16]
set ytics ('10^12' 1000000000000, '10^13' 10000000000000, '10^14' 100000000000000, '10^15' 1000000000000000, '10^16' 1e+16, '10^17' 1e+17)
set key outside bottom center horizontal maxcols 2 Left reverse samplen 3
set bmargin 9
plot 's7-flops.svg.csv' using 1:($1 <= 32768 ? column(2) : NaN) title 'Gemma 3n E4B' with linespoints lt 1, \
     '' using 1:($1 >= 32768 ? column(2) : NaN) notitle with linespoints lt 1 dt 3 pt 6, \
     '' using 1:($1 <= 8192 ? column(3) : NaN) title 'Hymba-1.5B' with linespoints lt 2, \
     '' using 1:($1 >= 8192 ? column(3) : NaN) notitle with linespoints lt 2 dt 3 pt 6, \
     '' using 1:4 title 'Nanbeige 4.2 3B' with linespoints lt 3, \
     '' using 1:($1 <= 4096 ? column(5) : NaN) title 'Zamba2-7B' with linespoints lt 4, \
     '' using 1:($1 >= 4096 ? column(5) : NaN) notitle with linespoints lt 4 dt 3 pt 6, \
     '' using 1:($1 <= 131072 ? column(6) : NaN) title 'Gemma 3 4B' with linespoints lt 5, \
     '' using 1:($1 >= 131072 ? column(6) : NaN) notitle with linespoints lt 5 dt 3 pt 6, \
     '' using 1:($1 <= 32768 ? column(7) : NaN) title 'Qwen3 4B' with linespoints lt 6, \
     '' using 1:($1 >= 32768 ? column(7) : NaN) notitle with linespoints lt 6 dt 3 pt 6, \
     NaN title 'dotted, open: past max_context' with linespoints lc rgb '#000000' dt 3 pt 6 lw 2
