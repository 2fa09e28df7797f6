// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/palette.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

constexpr std::array<QRgb, 10> kTableau10 = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                                             0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};

// Every 16th entry (plus the last) of matplotlib's 256-entry viridis table
// (van der Walt & Smith, CC0); linear interpolation between these 17 stops stays
// within one 8-bit step of the full table.
constexpr std::array<std::array<double, 3>, 17> kViridis = {{
    {0.267004, 0.004874, 0.329415},
    {0.282327, 0.094955, 0.417331},
    {0.278826, 0.175490, 0.483397},
    {0.258965, 0.251537, 0.524736},
    {0.229739, 0.322361, 0.545706},
    {0.199430, 0.387607, 0.554642},
    {0.172719, 0.448791, 0.557885},
    {0.149039, 0.508051, 0.557250},
    {0.127568, 0.566949, 0.550556},
    {0.120638, 0.625828, 0.533488},
    {0.157851, 0.683765, 0.501686},
    {0.246070, 0.738910, 0.452024},
    {0.369214, 0.788888, 0.382914},
    {0.515992, 0.831158, 0.294279},
    {0.678489, 0.863742, 0.189503},
    {0.845561, 0.887322, 0.099702},
    {0.993248, 0.906157, 0.143936},
}};

// ColorBrewer RdBu (11 classes), from negative (blue) to positive (red).
constexpr std::array<QRgb, 11> kRdBu = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
                                        0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f};

}  // namespace

QColor categoricalColor(int index) {
  index = std::max(0, index);
  if (index < static_cast<int>(kTableau10.size())) return QColor(kTableau10[index]);
  // Golden-angle hue steps keep further colours apart from each other.
  const double hue = std::fmod(0.1 + 0.381966 * (index - kTableau10.size()), 1.0);
  return QColor::fromHsvF(hue, 0.65, 0.85);
}

FamilyPalette::FamilyPalette(const TaskLabels& tasks) {
  for (const TaskLabel& task : tasks)
    if (!task.family.isEmpty() && !families_.contains(task.family)) families_ << task.family;
  families_.sort();
  QMap<QString, int> size_of_family, seen_of_family;
  for (const TaskLabel& task : tasks) ++size_of_family[task.family];
  int next_unlabelled = static_cast<int>(families_.size());
  task_colors_.reserve(static_cast<int>(tasks.size()));
  for (const TaskLabel& task : tasks) {
    if (task.family.isEmpty()) {
      task_colors_ << categoricalColor(next_unlabelled++);
      continue;
    }
    // Spread the family's tasks over a lightness band around the family colour.
    const int size = size_of_family[task.family];
    const int rank = seen_of_family[task.family]++;
    const double offset = size > 1 ? (static_cast<double>(rank) / (size - 1) - 0.5) : 0.0;
    const QColor base = familyColor(task.family);
    task_colors_ << (offset < 0 ? base.darker(100 + static_cast<int>(-offset * 60))
                                : base.lighter(100 + static_cast<int>(offset * 50)));
  }
}

QColor FamilyPalette::familyColor(const QString& family) const {
  const int index = static_cast<int>(families_.indexOf(family));
  return index < 0 ? QColor(Qt::gray) : categoricalColor(index);
}

QColor FamilyPalette::taskColor(int task) const {
  if (task >= 0 && task < task_colors_.size()) return task_colors_[task];
  return categoricalColor(task);
}

QCPColorGradient viridisGradient() {
  QCPColorGradient gradient;
  gradient.clearColorStops();
  for (size_t i = 0; i < kViridis.size(); ++i)
    gradient.setColorStopAt(
        static_cast<double>(i) / (kViridis.size() - 1),
        QColor::fromRgbF(static_cast<float>(kViridis[i][0]), static_cast<float>(kViridis[i][1]),
                         static_cast<float>(kViridis[i][2])));
  gradient.setColorInterpolation(QCPColorGradient::ciRGB);
  gradient.setLevelCount(256);
  return gradient;
}

QCPColorGradient divergingGradient() {
  QCPColorGradient gradient;
  gradient.clearColorStops();
  for (size_t i = 0; i < kRdBu.size(); ++i)
    gradient.setColorStopAt(static_cast<double>(i) / (kRdBu.size() - 1), QColor(kRdBu[i]));
  gradient.setColorInterpolation(QCPColorGradient::ciRGB);
  gradient.setLevelCount(256);
  return gradient;
}

}  // namespace tensorpoly::ui
