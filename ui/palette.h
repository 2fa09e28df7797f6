// Colours shared by every view, so that a family (and a task) has the same
// colour in the loss plot, the heatmap labels, the clustering and comparisons.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QMap>
#include <QString>
#include <QVector>

#include "ui/task_selection.h"

class QCPColorGradient;

namespace tensorpoly::ui {

// Family -> colour for one set of tasks. Families are ordered by name and take the
// qualitative Tableau-10 colours in that order (then golden-angle hues), so the
// same run always gets the same colours. Tasks of one family share its hue and
// differ in lightness; tasks without a family each take the next palette colour.
class FamilyPalette {
 public:
  FamilyPalette() = default;
  explicit FamilyPalette(const TaskLabels& tasks);

  QColor familyColor(const QString& family) const;
  QColor taskColor(int task) const;
  QStringList families() const { return families_; }

 private:
  QStringList families_;
  QVector<QColor> task_colors_;
};

// The i-th colour of the qualitative palette (Tableau 10, then golden-angle hues).
QColor categoricalColor(int index);

// Viridis (perceptually uniform, colour-blind safe) for magnitudes in [low, high].
QCPColorGradient viridisGradient();
// A diverging blue-white-red map (ColorBrewer RdBu) for signed changes centred on 0.
QCPColorGradient divergingGradient();

}  // namespace tensorpoly::ui
