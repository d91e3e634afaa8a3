# Drawn by attnsim 0.1.0. Data: s1-layers.svg.csv.
# Rerun with: gnuplot s1-layers.svg.gp
set terminal svg size 1000,6084 noenhanced font 'sans-serif,14' background rgb 'white'
if (!exists('outfile')) outfile = 's1-layers.svg'
set output outfile
set datafile separator comma
set datafile columnheaders
set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: fixed-size state)' at screen 0.5, screen 0.9967 center
set xrange [-0.5:127.5]
set yrange [-71.75:0.5]
set xtics 0,16 out nomirror
set mxtics 16
set xlabel 'layer index (0 = first)'
set border 1
set label 1 '3:1 local : global (45:15 layers)' at -0.5,-0.40 left
set label 2 '29 Mamba-2 : 3 attention' at -0.5,-1.40 left
set label 3 '61 MLA' at -0.5,-2.40 left
set label 4 '61 DSA' at -0.5,-3.40 left
set label 5 '61 MLA' at -0.5,-4.40 left
set label 6 '2 SWA : 21 CSA : 20 HCA' at -0.5,-5.40 left
set label 7 '31 HCA : 30 CSA' at -0.5,-6.40 left
set label 8 '72 parallel attention + SSM' at -0.5,-7.40 left
set label 9 '5:1 local : global (40:8 layers)' at -0.5,-8.40 left
set label 10 '5:1 local : global (22:4 layers)' at -0.5,-9.40 left
set label 11 '5:1 local : global (52:10 layers)' at -0.5,-10.40 left
set label 12 '5:1 local : global (29:5 layers)' at -0.5,-11.40 left
set label 13 '4:1 local : global (28:7 layers)' at -0.5,-12.40 left
set label 14 '92 attention' at -0.5,-13.40 left
set label 15 '78 DSA' at -0.5,-14.40 left
set label 16 '12 attention' at -0.5,-15.40 left
set label 17 '1:1 local : global (18:18 layers)' at -0.5,-16.40 left
set label 18 '1:1 local : global (12:12 layers)' at -0.5,-17.40 left
set label 19 '9:1 Mamba-2 : attention (36:4 layers)' at -0.5,-18.40 left
set label 20 '8:1 Mamba-2 : attention (57:7 layers)' at -0.5,-19.40 left
set label 21 '32 parallel attention + SSM' at -0.5,-20.40 left
set label 22 '7:1 Mamba : attention (63:9 layers)' at -0.5,-21.40 left
set label 23 '7:1 Mamba : attention (28:4 layers)' at -0.5,-22.40 left
set label 24 '61 MLA' at -0.5,-23.40 left
set label 25 '3:1 KDA : MLA (20:7 layers)' at -0.5,-24.40 left
set label 26 '10 short conv : 6 attention' at -0.5,-25.40 left
set label 27 '22 short conv : 8 attention' at -0.5,-26.40 left
set label 28 '7:1 lightning attention : MLA (70:10 layers)' at -0.5,-27.40 left
set label 29 '32 attention' at -0.5,-28.40 left
set label 30 '80 attention' at -0.5,-29.40 left
set label 31 '32 attention' at -0.5,-30.40 left
set label 32 '3:1 local : global (36:12 layers)' at -0.5,-31.40 left
set label 33 '24 Mamba-2 : 4 attention' at -0.5,-32.40 left
set label 34 '24 Mamba-3' at -0.5,-33.40 left
set label 35 '39 local : 9 global' at -0.5,-34.40 left
set label 36 '7:1 lightning attention : attention (70:10 layers)' at -0.5,-35.40 left
set label 37 '62 attention' at -0.5,-36.40 left
set label 38 '61 MLA' at -0.5,-37.40 left
set label 39 '40 attention' at -0.5,-38.40 left
set label 40 '32 attention' at -0.5,-39.40 left
set label 41 '44 attention' at -0.5,-40.40 left
set label 42 '23 Mamba-2 : 6 attention' at -0.5,-41.40 left
set label 43 '40 Mamba-2 : 8 attention' at -0.5,-42.40 left
set label 44 '5:1 Mamba-2 : attention (54:10 layers)' at -0.5,-43.40 left
set label 45 '24 Mamba-2 : 4 attention' at -0.5,-44.40 left
set label 46 '32 attention' at -0.5,-45.40 left
set label 47 '3:1 local : global (48:16 layers)' at -0.5,-46.40 left
set label 48 '3:1 local : global (24:8 layers)' at -0.5,-47.40 left
set label 49 '9 Mamba : 7 GMU : 8 sliding-window differential attention : 8 differential attention' at -0.5,-48.40 left
set label 50 '94 attention' at -0.5,-49.40 left
set label 51 '36 attention' at -0.5,-50.40 left
set label 52 '36 attention' at -0.5,-51.40 left
set label 53 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-52.40 left
set label 54 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-53.40 left
set label 55 '3:1 Gated DeltaNet : gated attention (36:12 layers)' at -0.5,-54.40 left
set label 56 '3:1 Mamba-3 : gated attention (48:16 layers)' at -0.5,-55.40 left
set label 57 '3:1 Gated DeltaNet : gated attention (48:16 layers)' at -0.5,-56.40 left
set label 58 '3:1 Gated DeltaNet : gated attention (30:10 layers)' at -0.5,-57.40 left
set label 59 '3:1 Gated DeltaNet : gated attention (45:15 layers)' at -0.5,-58.40 left
set label 60 '3:1 Gated DeltaNet : gated attention (24:8 layers)' at -0.5,-59.40 left
set label 61 '3:1 Gated DeltaNet : gated attention (24:8 layers)' at -0.5,-60.40 left
set label 62 '2:1 RG-LRU : sliding-window attention (18:8 layers)' at -0.5,-61.40 left
set label 63 '2:1 RG-LRU : sliding-window attention (26:12 layers)' at -0.5,-62.40 left
set label 64 '4:1 lightning attention : attention (16:4 layers)' at -0.5,-63.40 left
set label 65 '32 RWKV-7' at -0.5,-64.40 left
set label 66 '32 MLA' at -0.5,-65.40 left
set label 67 '19 attention' at -0.5,-66.40 left
set label 68 '3:1 RoPE attention : NoPE attention (27:9 layers)' at -0.5,-67.40 left
set label 69 '3:1 local : global (33:12 layers)' at -0.5,-68.40 left
set label 70 '3:1 local : global (27:9 layers)' at -0.5,-69.40 left
set label 71 '32 mLSTM' at -0.5,-70.40 left
set label 72 '81 Mamba-2 : 13 attention' at -0.5,-71.40 left
set ytics ('Trinity Large' -0, 'Bamba-9B' -1, 'DeepSeek-R1' -2, 'DeepSeek-V3.2' -3, 'DeepSeek-V3' -4, 'DeepSeek-V4-Flash' -5, 'DeepSeek-V4-Pro' -6, 'Falcon-H1-34B' -7, 'Gemma 3 12B' -8, 'Gemma 3 1B' -9, 'Gemma 3 27B' -10, 'Gemma 3 4B' -11, 'Gemma 3n E4B' -12, 'GLM-4.5' -13, 'GLM-5' -14, 'GPT-2' -15, 'gpt-oss-120b' -16, 'gpt-oss-20b' -17, 'Granite 4.0-H Small' -18, 'Hunyuan-TurboS' -19, 'Hymba-1.5B' -20, 'Jamba 1.5 Large' -21, 'Jamba 1.5 Mini' -22, 'Kimi K2' -23, 'Kimi Linear 48B-A3B' -24, 'LFM2-1.2B' -25, 'LFM2.5-2.6B' -26, 'Ling-2.5-1T' -27, 'Llama 3 8B' -28, 'Llama 3.1 70B' -29, 'Llama 3.1 8B' -30, 'Llama 4 Maverick' -31, 'Mamba-2-Hybrid 8B' -32, 'Mamba-3 MIMO 1.5B' -33, 'MiMo-V2-Flash' -34, 'MiniMax-M1' -35, 'MiniMax-M2.5' -36, 'Mistral Large 3' -37, 'Mistral Small 3.1 24B' -38, 'Nanbeige 4.1 3B' -39, 'Nanbeige 4.2 3B' -40, 'Nemotron 3 Nano 30B-A3B' -41, 'Nemotron 3 Super 120B-A12B' -42, 'Nemotron-H-56B' -43, 'Nemotron-H-8B' -44, 'OLMo 2 7B' -45, 'Olmo 3 32B' -46, 'Olmo 3 7B' -47, 'Phi-4-mini-flash-reasoning' -48, 'Qwen3 235B-A22B' -49, 'Qwen3 4B' -50, 'Qwen3 8B' -51, 'Qwen3-Coder-Next' -52, 'Qwen3-Next 80B-A3B' -53, 'Qwen3.5-122B-A10B' -54, 'Qwen3.5-27B with Mamba-3 (hypothetical)' -55, 'Qwen3.5-27B' -56, 'Qwen3.5-35B-A3B' -57, 'Qwen3.5-397B-A17B' -58, 'Qwen3.5-4B' -59, 'Qwen3.5-9B' -60, 'RecurrentGemma-2B' -61, 'RecurrentGemma-9B' -62, 'Ring-mini-linear-2.0' -63, 'RWKV7-World3-2.9B' -64, 'Sarvam 105B' -65, 'Sarvam 30B' -66, 'SmolLM3 3B' -67, 'Step 3.5 Flash' -68, 'Tiny Aya 3.35B' -69, 'xLSTM 7B' -70, 'Zamba2-7B' -71) scale 0 nomirror
set key at screen 0.5, screen 0.9934 center top horizontal maxrows 13 Left reverse samplen 1.5 width 2 height 1
set tmargin at screen 0.9359
set style fill solid 1.0 border lc rgb 'white'
plot 's1-layers.svg.csv' using 3:(column(6) == 1 ? -column(1) : NaN):(0.5):(0.26) title 'Gated DeltaNet' with boxxyerror fc rgb '#77AADD', \
     '' using 3:(column(6) == 2 ? -column(1) : NaN):(0.5):(0.26) title 'gated memory unit' with boxxyerror fc rgb '#44BB99', \
     '' using 3:(column(6) == 3 ? -column(1) : NaN):(0.5):(0.26) title 'Kimi Delta Attention' with boxxyerror fc rgb '#99DDFF', \
     '' using 3:(column(6) == 4 ? -column(1) : NaN):(0.5):(0.26) title 'lightning attention' with boxxyerror fc rgb '#FFAABB', \
     '' using 3:(column(6) == 5 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba' with boxxyerror fc rgb '#BBCC33', \
     '' using 3:(column(6) == 6 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba-2' with boxxyerror fc rgb '#EEDD88', \
     '' using 3:(column(6) == 7 ? -column(1) : NaN):(0.5):(0.26) title 'Mamba-3' with boxxyerror fc rgb '#EE8866', \
     '' using 3:(column(6) == 8 ? -column(1) : NaN):(0.5):(0.26) title 'mLSTM' with boxxyerror fc rgb '#BBCCEE', \
     '' using 3:(column(6) == 9 ? -column(1) : NaN):(0.5):(0.26) title 'RG-LRU recurrent block' with boxxyerror fc rgb '#CCDDAA', \
     '' using 3:(column(6) == 10 ? -column(1) : NaN):(0.5):(0.26) title 'RWKV-7 time mixing' with boxxyerror fc rgb '#DDDDDD', \
     '' using 3:(column(6) == 11 ? -column(1) : NaN):(0.5):(0.26) title 'gated short convolution' with boxxyerror fc rgb '#FFCCCC', \
     '' using 3:(column(6) == 12 ? -column(1) : NaN):(0.5):(0.26) title 'chunked attention' with boxxyerror fc rgb '#EE3377', \
     '' using 3:(column(6) == 13 ? -column(1) : NaN):(0.5):(0.26) title 'gated sliding-window attention' with boxxyerror fc rgb '#009988', \
     '' using 3:(column(6) == 14 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention' with boxxyerror fc rgb '#EE7733', \
     '' using 3:(column(6) == 15 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window differential attention' with boxxyerror fc rgb '#0077BB', \
     '' using 3:(column(6) == 16 ? -column(1) : NaN):(0.5):(0.26) title 'sliding-window attention (shared K=V)' with boxxyerror fc rgb '#999933', \
     '' using 3:(column(6) == 17 ? -column(1) : NaN):(0.5):(0.26) title 'compressed sparse attention' with boxxyerror fc rgb '#115588', \
     '' using 3:(column(6) == 18 ? -column(1) : NaN):(0.5):(0.26) title 'differential attention' with boxxyerror fc rgb '#332288', \
     '' using 3:(column(6) == 19 ? -column(1) : NaN):(0.5):(0.26) title 'DSA' with boxxyerror fc rgb '#225555', \
     '' using 3:(column(6) == 20 ? -column(1) : NaN):(0.5):(0.26) title 'RoPE attention' with boxxyerror fc rgb '#222255', \
     '' using 3:(column(6) == 21 ? -column(1) : NaN):(0.5):(0.26) title 'gated attention' with boxxyerror fc rgb '#000000', \
     '' using 3:(column(6) == 22 ? -column(1) : NaN):(0.5):(0.26) title 'heavily compressed attention' with boxxyerror fc rgb '#663366', \
     '' using 3:(column(6) == 23 ? -column(1) : NaN):(0.5):(0.26) title 'MLA' with boxxyerror fc rgb '#882255', \
     '' using 3:(column(6) == 24 ? -column(1) : NaN):(0.5):(0.26) title 'NoPE attention' with boxxyerror fc rgb '#663333', \
     '' using 3:(column(6) == 25 ? -column(1) : NaN):(0.5):(0.26) title 'parallel attention + SSM' with boxxyerror fc rgb '#225522', \
     '' using 3:(column(6) == 0 ? -column(1) : NaN):(0.5):(0.26) title 'no mixer (FFN only)' with boxxyerror fc rgb '#EEEEEE' fs solid 1.0 border lc rgb '#BBBBBB'
