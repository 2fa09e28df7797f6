// SPDX-License-Identifier: GPL-3.0-or-later
#include "adapters/mixed_product.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "adapters/tensor_product.h"

namespace tensorpoly::adapters {
namespace {

struct Sizes {
  int64_t layers, tasks, skills, rank, first, second, width;
  int64_t used() const { return (width + second - 1) / second; }  // columns of `first` used
};

Sizes checked_sizes(const torch::Tensor& weights, const torch::Tensor& first,
                    const torch::Tensor& second, int64_t n) {
  TORCH_CHECK(weights.dim() == 3 && first.dim() == 4 && second.dim() == 4,
              "mixed_outer_product: weights [J, U, S], first [J, S, r, a] and second [J, S, r, b] "
              "expected, got ",
              weights.sizes(), ", ", first.sizes(), " and ", second.sizes());
  const Sizes sizes{weights.size(0),
                    weights.size(1),
                    weights.size(2),
                    first.size(2),
                    first.size(3),
                    second.size(3),
                    n};
  TORCH_CHECK(first.size(0) == sizes.layers && second.size(0) == sizes.layers &&
                  first.size(1) == sizes.skills && second.size(1) == sizes.skills &&
                  second.size(2) == sizes.rank,
              "mixed_outer_product: weights ", weights.sizes(), ", first ", first.sizes(),
              " and second ", second.sizes(), " disagree");
  TORCH_CHECK(n >= 1 && sizes.used() <= sizes.first, "mixed_outer_product: width ", n,
              " must lie in [1, ", sizes.first * sizes.second, "]");
  return sizes;
}

// The 32-byte vectors below never cross a call boundary between code built with and
// without AVX: always_inline puts them inside the per-instruction-set entry points, so
// GCC's note that their calling convention differs between the two does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// Eight floats (or four doubles) as one value: GCC and Clang compile the arithmetic to
// the widest vector instructions the function's target allows (AVX2 in the *_avx2 entry
// points below, SSE2 otherwise). Unaligned loads and stores go through memcpy.
template <typename T>
struct Lanes {
  typedef T Vector __attribute__((vector_size(32)));
  static constexpr int64_t kCount = 32 / sizeof(T);
  __attribute__((always_inline)) static Vector load(const T* from) {
    Vector value;
    std::memcpy(&value, from, sizeof value);
    return value;
  }
  __attribute__((always_inline)) static void store(T* to, Vector value) {
    std::memcpy(to, &value, sizeof value);
  }
  __attribute__((always_inline)) static Vector splat(T value) { return Vector{} + value; }
  __attribute__((always_inline)) static T sum(Vector value) {
    T total = 0;
    for (int64_t lane = 0; lane < kCount; ++lane) total += value[lane];
    return total;
  }
};

// destination[0, columns) = Σ_s scale[s] · rows[s][0, columns).
template <typename T>
inline __attribute__((always_inline)) void scaled_row_sum(T* destination, const T* const* rows,
                                                          const T* scale, int64_t skills,
                                                          int64_t columns) {
  using L = Lanes<T>;
  int64_t k = 0;
  for (; k + L::kCount <= columns; k += L::kCount) {
    typename L::Vector sum{};
    for (int64_t s = 0; s < skills; ++s) sum += L::splat(scale[s]) * L::load(rows[s] + k);
    L::store(destination + k, sum);
  }
  for (; k < columns; ++k) {
    T sum = 0;
    for (int64_t s = 0; s < skills; ++s) sum += scale[s] * rows[s][k];
    destination[k] = sum;
  }
}

// out[j, u, ρ, i·b + k] = Σ_s w[j, u, s] · first[j, s, ρ, i] · second[j, s, ρ, k] for the
// layers [begin, end). Each output block of b columns is summed over the skills in
// registers and stored once.
template <typename T>
inline __attribute__((always_inline)) void forward_layers(const Sizes& z, const T* weights,
                                                          const T* first, const T* second, T* out,
                                                          int64_t begin, int64_t end) {
  const int64_t used = z.used();
  std::vector<const T*> rows(static_cast<size_t>(z.skills));
  std::vector<T> scale(static_cast<size_t>(z.skills));
  for (int64_t j = begin; j < end; ++j) {
    for (int64_t rho = 0; rho < z.rank; ++rho) {
      for (int64_t s = 0; s < z.skills; ++s) {
        rows[static_cast<size_t>(s)] = second + ((j * z.skills + s) * z.rank + rho) * z.second;
      }
      for (int64_t u = 0; u < z.tasks; ++u) {
        const T* w = weights + (j * z.tasks + u) * z.skills;
        T* row = out + ((j * z.tasks + u) * z.rank + rho) * z.width;
        for (int64_t i = 0; i < used; ++i) {
          for (int64_t s = 0; s < z.skills; ++s) {
            scale[static_cast<size_t>(s)] =
                w[s] * first[((j * z.skills + s) * z.rank + rho) * z.first + i];
          }
          scaled_row_sum(row + i * z.second, rows.data(), scale.data(), z.skills,
                         std::min(z.second, z.width - i * z.second));
        }
      }
    }
  }
}

// The gradients of all three inputs from grad [J, U, r, n] for the layers [begin, end)
// (every output slice belongs to one layer, so threads never share one):
//   dot[u, i]            = Σ_k grad[j, u, ρ, i·b + k] · second[j, s, ρ, k]
//   d first[j, s, ρ, i]  = Σ_u w[j, u, s] · dot[u, i]
//   d w[j, u, s]         = Σ_ρ Σ_i first[j, s, ρ, i] · dot[u, i]
//   d second[j, s, ρ, k] = Σ_u Σ_i w[j, u, s] · first[j, s, ρ, i] · grad[j, u, ρ, i·b + k]
template <typename T>
inline __attribute__((always_inline)) void backward_layers(const Sizes& z, const T* grad,
                                                           const T* weights, const T* first,
                                                           const T* second, T* grad_weights,
                                                           T* grad_first, T* grad_second,
                                                           int64_t begin, int64_t end) {
  using L = Lanes<T>;
  const int64_t used = z.used();
  for (int64_t j = begin; j < end; ++j) {
    for (int64_t rho = 0; rho < z.rank; ++rho) {
      for (int64_t s = 0; s < z.skills; ++s) {
        const int64_t slice = (j * z.skills + s) * z.rank + rho;
        const T* f = first + slice * z.first;
        const T* g = second + slice * z.second;
        T* df = grad_first + slice * z.first;
        T* dg = grad_second + slice * z.second;
        for (int64_t u = 0; u < z.tasks; ++u) {
          const T w = weights[(j * z.tasks + u) * z.skills + s];
          const T* row = grad + ((j * z.tasks + u) * z.rank + rho) * z.width;
          T dw = 0;
          for (int64_t i = 0; i < used; ++i) {
            const T* block = row + i * z.second;
            const int64_t columns = std::min(z.second, z.width - i * z.second);
            const T c = w * f[i];
            typename L::Vector dots{};
            const auto scale = L::splat(c);
            int64_t k = 0;
            for (; k + L::kCount <= columns; k += L::kCount) {
              const auto values = L::load(block + k);
              dots += values * L::load(g + k);
              L::store(dg + k, L::load(dg + k) + scale * values);
            }
            T dot = L::sum(dots);
            for (; k < columns; ++k) {
              dot += block[k] * g[k];
              dg[k] += c * block[k];
            }
            df[i] += w * dot;
            dw += f[i] * dot;
          }
          grad_weights[(j * z.tasks + u) * z.skills + s] += dw;
        }
      }
    }
  }
}

// Entry points per instruction set: on x86-64 an AVX2 build of the same loops, chosen at
// run time when the CPU has it.
#if defined(__GNUC__) && defined(__x86_64__)
#define TENSORPOLY_AVX2_KERNELS 1
template <typename T>
__attribute__((target("avx2"))) void forward_layers_avx2(const Sizes& z, const T* weights,
                                                         const T* first, const T* second, T* out,
                                                         int64_t begin, int64_t end) {
  forward_layers(z, weights, first, second, out, begin, end);
}
template <typename T>
__attribute__((target("avx2"))) void backward_layers_avx2(const Sizes& z, const T* grad,
                                                          const T* weights, const T* first,
                                                          const T* second, T* grad_weights,
                                                          T* grad_first, T* grad_second,
                                                          int64_t begin, int64_t end) {
  backward_layers(z, grad, weights, first, second, grad_weights, grad_first, grad_second, begin,
                  end);
}
#endif

bool has_avx2() {
#ifdef TENSORPOLY_AVX2_KERNELS
  static const bool available = __builtin_cpu_supports("avx2");
  return available;
#else
  return false;
#endif
}

template <typename T>
void forward_kernel(const Sizes& z, const T* weights, const T* first, const T* second, T* out) {
  at::parallel_for(0, z.layers, 1, [&](int64_t begin, int64_t end) {
#ifdef TENSORPOLY_AVX2_KERNELS
    if (has_avx2()) return forward_layers_avx2(z, weights, first, second, out, begin, end);
#endif
    forward_layers(z, weights, first, second, out, begin, end);
  });
}

template <typename T>
void backward_kernel(const Sizes& z, const T* grad, const T* weights, const T* first,
                     const T* second, T* grad_weights, T* grad_first, T* grad_second) {
  at::parallel_for(0, z.layers, 1, [&](int64_t begin, int64_t end) {
#ifdef TENSORPOLY_AVX2_KERNELS
    if (has_avx2()) {
      return backward_layers_avx2(z, grad, weights, first, second, grad_weights, grad_first,
                                  grad_second, begin, end);
    }
#endif
    backward_layers(z, grad, weights, first, second, grad_weights, grad_first, grad_second, begin,
                    end);
  });
}

class MixedOuterProduct : public torch::autograd::Function<MixedOuterProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context,
                               const torch::Tensor& weights, const torch::Tensor& first,
                               const torch::Tensor& second, int64_t n) {
    const Sizes z = checked_sizes(weights, first, second, n);
    const auto w = weights.contiguous(), f = first.contiguous(), g = second.contiguous();
    context->save_for_backward({w, f, g});
    context->saved_data["n"] = n;
    auto out = torch::empty({z.layers, z.tasks, z.rank, n}, f.options());
    AT_DISPATCH_FLOATING_TYPES(f.scalar_type(), "mixed_outer_product", [&] {
      forward_kernel<scalar_t>(z, w.data_ptr<scalar_t>(), f.data_ptr<scalar_t>(),
                               g.data_ptr<scalar_t>(), out.data_ptr<scalar_t>());
    });
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grads) {
    const auto saved = context->get_saved_variables();
    const auto& w = saved[0];
    const auto& f = saved[1];
    const auto& g = saved[2];
    const int64_t n = context->saved_data["n"].toInt();
    const Sizes z = checked_sizes(w, f, g, n);
    const auto grad = grads[0].contiguous();
    auto grad_w = torch::zeros_like(w), grad_f = torch::zeros_like(f),
         grad_g = torch::zeros_like(g);
    AT_DISPATCH_FLOATING_TYPES(f.scalar_type(), "mixed_outer_product_backward", [&] {
      backward_kernel<scalar_t>(z, grad.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                                f.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(),
                                grad_w.data_ptr<scalar_t>(), grad_f.data_ptr<scalar_t>(),
                                grad_g.data_ptr<scalar_t>());
    });
    return {context->needs_input_grad(0) ? grad_w : torch::Tensor(),
            context->needs_input_grad(1) ? grad_f : torch::Tensor(),
            context->needs_input_grad(2) ? grad_g : torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor mixed_outer_product_composite(const torch::Tensor& weights,
                                            const torch::Tensor& first, const torch::Tensor& second,
                                            int64_t n) {
  const Sizes z = checked_sizes(weights, first, second, n);
  const auto factors =
      row_outer_product(first.narrow(-1, 0, z.used()), second).narrow(-1, 0, n);  // [J, S, r, n]
  return torch::bmm(weights, factors.reshape({z.layers, z.skills, z.rank * n}))
      .view({z.layers, z.tasks, z.rank, n});
}

torch::Tensor mixed_outer_product(const torch::Tensor& weights, const torch::Tensor& first,
                                  const torch::Tensor& second, int64_t n) {
  const auto type = first.scalar_type();
  const bool fused = first.device().is_cpu() && weights.device().is_cpu() &&
                     second.device().is_cpu() &&
                     (type == torch::kFloat || type == torch::kDouble) &&
                     weights.scalar_type() == type && second.scalar_type() == type;
  if (!fused) return mixed_outer_product_composite(weights, first, second, n);
  return MixedOuterProduct::apply(weights, first, second, n);
}

}  // namespace tensorpoly::adapters
