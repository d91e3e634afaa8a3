// e^x over an array, for the kernels' softmax and decay factors, at the machine's vector width.
#pragma once

#include <cstdint>

namespace attnsim::mixers {

// x[i] ← e^{x[i]} for i < n. On CPUs with AVX2 and FMA (checked at run time) this is glibc's
// vector exp (libmvec, 4 doubles or 8 floats per call, within 4 ulp, e^−∞ = 0; e^x is 0 for
// x < −708 (double) or −87 (float), below the normal range, rather than subnormal); elsewhere
// Eigen's exp at the width the binary was built for. The binary itself needs no -march.
void exp_in_place(double* x, std::int64_t n);
void exp_in_place(float* x, std::int64_t n);

// x[i] ← e^{x[i]} − 1 for i < n, accurate near 0 (the RG-LRU's sqrt(−expm1(2 log a)), a → 1):
// glibc's AVX2 vector expm1 (libmvec from glibc 2.35, 4 doubles or 8 floats per call) where
// the CPU has AVX2 and FMA and the library has it; std::expm1 a value at a time otherwise.
void expm1_in_place(double* x, std::int64_t n);
void expm1_in_place(float* x, std::int64_t n);

// sin[i] ← sin(x[i]), cos[i] ← cos(x[i]) for i < n (rotation angles). With AVX2 and FMA, glibc's
// vector sin and cos (libmvec, within 4 ulp); elsewhere std::sin and std::cos.
void sin_cos(const double* x, double* sin, double* cos, std::int64_t n);
void sin_cos(const float* x, float* sin, float* cos, std::int64_t n);

// Whether exp_in_place uses the AVX2 path on this machine (the benchmark prints it).
bool vector_exp_is_avx2();

}  // namespace attnsim::mixers
