// Many dense line series (the per-task losses) drawn as one QCustomPlot
// plottable. On screen each series is rasterised straight into an image at
// pixel resolution: one pass over the points in range tracks, per pixel column,
// the first/min/max/last value, and each column becomes a vertical span joined
// to its neighbours — the pixels a 1-px, non-antialiased polyline would cover,
// without building and stroking hundreds of thousands of QPainter vertices.
// Vector export (PDF) draws the same column summaries as polylines.
// Include only from .cpp files (it pulls in qcustomplot.h).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QImage>
#include <QSharedPointer>
#include <vector>

#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {

class DenseLineBundle : public QCPAbstractPlottable {
 public:
  // Per pixel column of one series, in value coordinates.
  struct Column {
    int column = 0;
    double first = 0, min = 0, max = 0, last = 0;
  };
  struct Series {
    QSharedPointer<QCPGraphDataContainer> data;  // shared with the task's QCPGraph
    QColor color;
    bool visible = true;
    // Column summaries, valid while the key range, the plot width and the data are
    // unchanged: a replot for a highlight, a visibility change or a new value range
    // only re-rasterises them.
    std::vector<Column> columns;
    bool dirty = true;
    // The value range of all the data (what an axis rescale asks for), for the sign
    // domain it was computed in; kept up to date by appended().
    mutable QCPRange value_range;
    mutable bool value_range_found = false;
    mutable int value_range_domain = -1;  // a QCP::SignDomain, -1 = not computed
  };

  DenseLineBundle(QCPAxis* key_axis, QCPAxis* value_axis);

  void setSeries(std::vector<Series> series) { series_ = std::move(series); }
  // Call after changing a series' data.
  void invalidate(size_t index) {
    if (index < series_.size()) invalidate(series_[index]);
  }
  void invalidateAll() {
    for (Series& s : series_) invalidate(s);
  }
  // Call after appending `value` to a series' data (cheaper than invalidate()).
  void appended(size_t index, double value);
  std::vector<Series>& series() { return series_; }
  const std::vector<Series>& series() const { return series_; }

  double selectTest(const QPointF& pos, bool only_selectable, QVariant* details) const override;
  QCPRange getKeyRange(bool& found_range, QCP::SignDomain in_sign_domain) const override;
  QCPRange getValueRange(bool& found_range, QCP::SignDomain in_sign_domain,
                         const QCPRange& in_key_range) const override;

 protected:
  void draw(QCPPainter* painter) override;
  void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

 private:
  static void invalidate(Series& s) {
    s.dirty = true;
    s.value_range_domain = -1;
  }
  void summarize(const QCPGraphDataContainer& data, double left,
                 std::vector<Column>* columns) const;
  void rasterize(const std::vector<Column>& columns, QRgb color, int width, int height, double top);
  void drawVector(QCPPainter* painter, const std::vector<Column>& columns, double left,
                  const QColor& color) const;

  std::vector<Series> series_;
  QCPRange summarized_range_;  // what the column summaries were computed for
  QRect summarized_rect_;
  bool summarized_log_ = false;
  QImage image_;                  // reused between draws
  std::vector<QRgb> transposed_;  // the image, column-major, while series are drawn
};

}  // namespace tensorpoly::ui
