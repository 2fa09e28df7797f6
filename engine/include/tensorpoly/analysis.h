// Torch-free analysis of learned routing: task vectors, similarity, routing
// entropy, skill usage and flags (collapsed skills, near-uniform tasks),
// agglomerative clustering of tasks, and agreement of the clusters with
// ground-truth task families and skill sets.
//
// Clustering reproduces SciPy exactly (scipy.cluster.hierarchy.linkage,
// fcluster, dendrogram): same distance formulas and summation order, the
// nearest-neighbour chain for complete/average/ward, Prim's minimum spanning
// tree for single linkage, the same stable sort by distance and union-find
// relabelling, hence the same merges, ties included.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensorpoly/events.h"
#include "tensorpoly/routing.h"

namespace tensorpoly::analysis {

// Dense row-major matrix of doubles.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> values;  // size rows * cols

  Matrix() = default;
  // Throws std::invalid_argument for a negative shape or one whose size overflows.
  Matrix(int64_t rows, int64_t cols, double fill = 0.0);
  // Bounds-checked: throws std::out_of_range outside [0, rows) x [0, cols).
  double& at(int64_t row, int64_t col) {
    check_index(row, col);
    return values[static_cast<size_t>(row * cols + col)];
  }
  double at(int64_t row, int64_t col) const {
    check_index(row, col);
    return values[static_cast<size_t>(row * cols + col)];
  }
  const double* row(int64_t r) const { return values.data() + r * cols; }

 private:
  void check_index(int64_t row, int64_t col) const;
};

// ---------------------------------------------------------------------------
// 1. Task representation

enum class LayerScope { kAll, kEncoder, kDecoder };

// Which adapted layers make up a task's routing vector. All filters combine.
struct LayerSelection {
  LayerScope scope = LayerScope::kAll;  // kEncoder: names starting "encoder.", kDecoder: "decoder."
  std::string pattern;                  // RE2 regex searched in the layer name; "" = any
  std::string layer;                    // exactly this layer name; "" = any
};

// Per task, its routing weights concatenated over the selected layers, each
// layer contributing all its blocks (orders for TensorPoly-II, splits for MHR)
// in block order: for a [k, T, S] layer the task's k*S weights.
struct TaskVectors {
  Matrix vectors;                      // [tasks, dims]
  std::vector<std::string> layers;     // the selected layers, in input order
  std::vector<int64_t> layer_offsets;  // column where each selected layer starts
};

// Throws std::invalid_argument when a matrix's shape does not fit its kind or
// values, when layers disagree on the number of tasks, when the pattern is not
// a valid regex, or when no layer is selected.
TaskVectors task_vectors(const std::vector<RoutingMatrix>& routing,
                         const LayerSelection& selection = {});

// ---------------------------------------------------------------------------
// 2. Similarity, entropy, skill usage

enum class Distance { kCosine, kCorrelation, kEuclidean };
enum class Similarity { kCosine, kPearson };

const char* distance_name(Distance distance);          // "cosine" | "correlation" | "euclidean"
Distance parse_distance(const std::string& name);      // throws std::invalid_argument
const char* similarity_name(Similarity similarity);    // "cosine" | "pearson"
Similarity parse_similarity(const std::string& name);  // throws std::invalid_argument

// Pairwise distances between the rows of `vectors` in SciPy's condensed form:
// entry for i < j at n*i - i*(i+1)/2 + (j-i-1), as scipy.spatial.distance.pdist.
// cosine = 1 - u.v/(|u||v|) (clipped to [0, 2]), correlation = cosine of the
// mean-centred rows, euclidean = |u - v|. Vectorised over pairs and spread over
// `threads` threads (0: all hardware threads). A row of zero norm (for
// correlation: a constant row) makes cosine undefined: std::invalid_argument.
std::vector<double> pairwise_distances(const Matrix& vectors, Distance distance, int threads = 0);

// Full n x n similarity matrix (diagonal exactly 1): cosine similarity of the
// rows, or their Pearson correlation.
Matrix similarity_matrix(const Matrix& vectors, Similarity similarity = Similarity::kCosine,
                         int threads = 0);

// Condensed distances 1 - similarity[i][j] for i < j: from a cosine (Pearson)
// similarity matrix, exactly pairwise_distances(.., kCosine (kCorrelation)),
// so a view that shows the similarity need not compute it twice.
std::vector<double> distances_from_similarity(const Matrix& similarity);

// Routing entropy, in nats, of each task's distribution over skills (weights
// renormalised to sum 1 within each block; negative or NaN weights count as 0,
// a row with no positive weight has entropy 0), averaged over the blocks of a layer.
struct RoutingEntropy {
  std::vector<std::string> layers;
  Matrix per_layer_task;          // [layers, tasks]
  std::vector<double> per_task;   // mean over layers
  std::vector<double> per_layer;  // mean over tasks
};
RoutingEntropy routing_entropy(const std::vector<RoutingMatrix>& routing,
                               const LayerSelection& selection = {});

// Total routing weight each skill receives in each layer, summed over tasks
// and blocks.
struct SkillUsage {
  std::vector<std::string> layers;
  Matrix per_layer_skill;  // [layers, skills]
};
SkillUsage skill_usage(const std::vector<RoutingMatrix>& routing,
                       const LayerSelection& selection = {});

// Warnings about a routing that does not do its job, as the routing heatmap shows
// them: a skill that no task uses, a task that routes (almost) uniformly.
//
// A skill is "collapsed" when, in every block considered, every task gives it less
// than kCollapsedSkillShare of the uniform weight 1/n_skills (of its weights
// renormalised over skills), i.e. no task uses it.
constexpr double kCollapsedSkillShare = 0.25;
// A task is "near-uniform" when its routing entropy divided by log(n_skills),
// averaged over the blocks considered, is at least kUniformEntropyRatio. With a
// single skill nothing is near-uniform.
constexpr double kUniformEntropyRatio = 0.98;

struct RoutingFlags {
  std::vector<int> collapsed_skills;  // ascending skill indices
  std::vector<int> uniform_tasks;     // ascending task indices
};

// Routing weights [blocks, tasks, skills], row-major, in double precision: one
// layer's routing (routing_weights) or a mean over layers. Blocks are the orders
// (TensorPoly-II) or splits (MHR); 1 for single-block routing.
struct RoutingWeights {
  int64_t n_blocks = 0;
  int64_t n_tasks = 0;
  int64_t n_skills = 0;
  std::vector<double> values;  // size n_blocks * n_tasks * n_skills

  double at(int64_t block, int64_t task, int64_t skill) const {
    return values[static_cast<size_t>((block * n_tasks + task) * n_skills + skill)];
  }
};

// The weights of one routing matrix (validated: std::invalid_argument otherwise).
RoutingWeights routing_weights(const RoutingMatrix& matrix);

// The flags over one block (0 <= block < n_blocks) or, for block -1, over every
// block. Negative (or NaN) weights count as 0, as in routing_entropy. Throws
// std::invalid_argument when the values do not fit the shape or the block does
// not exist.
RoutingFlags routing_flags(const RoutingWeights& weights, int64_t block = -1);
RoutingFlags routing_flags(const RoutingMatrix& matrix, int64_t block = -1);
// The flags over the rows `tasks` only (analysed_tasks(): the tasks the router was
// trained on, since a held-out row that never trained is near-uniform by construction);
// uniform_tasks are entries of `tasks`. Throws std::invalid_argument for a row that does
// not exist.
RoutingFlags routing_flags(const RoutingWeights& weights, int64_t block,
                           const std::vector<int>& tasks);

// ---------------------------------------------------------------------------
// 3. Agglomerative clustering

enum class Linkage { kSingle, kComplete, kAverage, kWard };
const char* linkage_name(Linkage linkage);       // "single" | "complete" | "average" | "ward"
Linkage parse_linkage(const std::string& name);  // throws std::invalid_argument

// One row of SciPy's linkage matrix: clusters `left` < `right` merge at
// `distance` into cluster n + row index, holding `size` tasks.
struct Merge {
  int64_t left = 0;
  int64_t right = 0;
  double distance = 0.0;
  int64_t size = 0;
};

// Linkage of n observations from condensed distances (pairwise_distances).
// For ward the distances must be euclidean. Throws std::invalid_argument on a
// size that is not n*(n-1)/2 or on non-finite distances.
std::vector<Merge> linkage(const std::vector<double>& condensed_distances, int64_t n,
                           Linkage method);

// Convenience: distances of the rows then linkage. Ward always uses euclidean
// distances of the raw vectors (as SciPy does on observation vectors).
std::vector<Merge> linkage(const Matrix& vectors, Linkage method,
                           Distance distance = Distance::kCosine, int threads = 0);

// Dendrogram leaves left to right; each merge puts `left` on the left.
std::vector<int64_t> leaf_order(const std::vector<Merge>& merges);

// Flat clusters, 1-based labels numbered as scipy.cluster.hierarchy.fcluster.
// At most `max_clusters` clusters (criterion "maxclust").
std::vector<int> cut_into_clusters(const std::vector<Merge>& merges, int max_clusters);
// Tasks joined at distance <= threshold share a cluster (criterion "distance").
std::vector<int> cut_at_distance(const std::vector<Merge>& merges, double threshold);

// ---------------------------------------------------------------------------
// 4. Agreement with ground truth

// Adjusted Rand index between two labelings (as sklearn.metrics.adjusted_rand_score).
double adjusted_rand_index(const std::vector<int>& labels_true,
                           const std::vector<int>& labels_pred);
// Normalized mutual information, arithmetic-mean normalisation (scikit-learn's default).
double normalized_mutual_information(const std::vector<int>& labels_true,
                                     const std::vector<int>& labels_pred);
// Spearman rank correlation (average ranks for ties); NaN when either side is constant.
double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y);
// |a ∩ b| / |a ∪ b| of two skill sets (duplicates ignored); 1 when both are empty.
double jaccard_overlap(const std::vector<int>& skills_a, const std::vector<int>& skills_b);
// Spearman correlation, over task pairs i < j, between routing similarity
// (an n x n matrix) and the Jaccard overlap of the tasks' ground-truth skill sets.
double similarity_vs_skill_overlap(const Matrix& similarity,
                                   const std::vector<std::vector<int>>& task_skills);
// One-sided permutation p-value of similarity_vs_skill_overlap (a Mantel test): the skill
// sets are shuffled over the tasks `permutations` times (Fisher-Yates on a SplitMix64
// stream seeded with `seed`, the same on every platform) and
// p = (1 + #{shuffled correlation >= observed}) / (1 + permutations), the share of
// assignments that agree with the routing at least as well. NaN when the observed
// correlation is undefined. Throws std::invalid_argument for permutations < 1.
double skill_overlap_p_value(const Matrix& similarity,
                             const std::vector<std::vector<int>>& task_skills, int permutations,
                             uint64_t seed);

// Agreement of a clustering of tasks with every planted factor the tasks' ground truth
// holds: ARI and NMI against the family labels and against the modifier labels
// (modifier_label()), and the Spearman correlation of routing similarity with the
// Jaccard overlap of the skill sets, with its permutation p-value. NaN where some task's
// family (skill set) is unknown, or (Spearman) for fewer than three tasks.
struct Agreement {
  double ari_vs_families = 0.0;
  double nmi_vs_families = 0.0;
  double ari_vs_modifiers = 0.0;
  double nmi_vs_modifiers = 0.0;
  double spearman_similarity_vs_skill_overlap = 0.0;
  double spearman_p_value = 0.0;
  int permutations = 0;
  uint64_t permutation_seed = 0;
};
// `similarity` and `cluster_labels` are over `tasks`, in order.
Agreement agreement_with_ground_truth(const Matrix& similarity,
                                      const std::vector<int>& cluster_labels,
                                      const std::vector<TaskInfo>& tasks, int permutations = 1000,
                                      uint64_t permutation_seed = 0);

// ---------------------------------------------------------------------------
// Which tasks an analysis uses

// The tasks whose routing rows an analysis uses, as indices into the routing's task axis
// (0 .. n_rows-1): by default those the router was trained on (split "train"); a held-out
// task's row holds routing that never trained (or, after few-shot adaptation, trained on
// k examples only) and would distort clusters and agreement. With include_heldout, all.
// A row without TaskInfo counts as a training task.
std::vector<int> analysed_tasks(int64_t n_rows, const std::vector<TaskInfo>& tasks,
                                bool include_heldout);
// The routing of those tasks only: every matrix keeps the rows `tasks` (in that order).
// Throws std::invalid_argument for an index outside a matrix's task axis.
std::vector<RoutingMatrix> select_tasks(const std::vector<RoutingMatrix>& routing,
                                        const std::vector<int>& tasks);
// The number of clusters a cut makes by default: the number of distinct families when
// every task has one, else round(sqrt(n / 2)) (at least 1).
int default_cluster_count(const std::vector<TaskInfo>& tasks);
// A task's modifier label in the families layout: its skills other than its family,
// joined with "+", or "(none)" for a family primitive alone; "" when the family is unknown.
std::string modifier_label(const TaskInfo& task);

// ---------------------------------------------------------------------------
// 5. One routing snapshot, analysed end to end (tensorpoly-run analyze, the UI)

struct ReportOptions {
  LayerSelection layers;
  bool include_heldout = false;  // analysed_tasks(): training tasks only by default
  int permutations = 1000;       // for the Spearman p-value (>= 1)
  uint64_t permutation_seed = 0;
  Distance distance = Distance::kCosine;  // ward always uses euclidean
  Linkage linkage = Linkage::kAverage;
  int clusters = 0;         // k for the flat cut; 0: default_cluster_count()
  double threshold = -1.0;  // also cut at this distance when >= 0
  int threads = 0;
};

// Positions (rows of `similarity`, `cluster_labels`, entries of `leaf_order`, ...) are
// positions in `tasks`, the analysed tasks; `tasks` maps them to the run's task indices.
struct RoutingReport {
  std::vector<int> tasks;           // the analysed tasks (analysed_tasks()), run task indices
  std::vector<int> heldout_tasks;   // the rows left out (held-out tasks)
  std::vector<std::string> layers;  // the layers that make up the task vectors
  int64_t dims = 0;
  Distance distance = Distance::kCosine;
  Linkage linkage = Linkage::kAverage;
  Matrix similarity;  // cosine similarity of the task vectors
  std::vector<Merge> merges;
  std::vector<int64_t> leaf_order;
  int clusters = 0;
  std::vector<int> cluster_labels;  // cut into at most `clusters`
  double threshold = -1.0;
  std::vector<int> threshold_labels;  // empty unless threshold >= 0
  // Agreement of the analysed tasks' clusters with each planted factor.
  Agreement agreement;
  RoutingEntropy entropy;
  SkillUsage skill_usage;
};

// `tasks` gives names, families, skills and splits by task index (as recorded for the
// run); it may be empty or shorter, then the missing ground truth is unknown.
RoutingReport analyze_routing(const std::vector<RoutingMatrix>& routing,
                              const std::vector<TaskInfo>& tasks,
                              const ReportOptions& options = {});

// "18 training tasks (3 held-out tasks left out)", or "21 tasks" when none was left out:
// which tasks an analysis is computed on.
std::string analysed_tasks_text(size_t n_analysed, size_t n_left_out);

// The report as JSON text (NaN written as null): the analysed tasks ("clustered_tasks",
// each with its run task index) and the held-out tasks left out ("heldout_tasks"), layers,
// merges, leaf order (run task indices), clusters with their member tasks (in leaf order;
// labels by position in clustered_tasks), agreement scores with the p-value's settings,
// entropy (per clustered task and per layer) and skill usage per layer.
std::string report_json(const RoutingReport& report, const std::vector<TaskInfo>& tasks,
                        int indent = 2);

}  // namespace tensorpoly::analysis
