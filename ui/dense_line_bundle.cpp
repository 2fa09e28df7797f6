// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/dense_line_bundle.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace tensorpoly::ui {

DenseLineBundle::DenseLineBundle(QCPAxis* key_axis, QCPAxis* value_axis)
    : QCPAbstractPlottable(key_axis, value_axis) {
  setAntialiased(false);
  setSelectable(QCP::stNone);
}

double DenseLineBundle::selectTest(const QPointF&, bool, QVariant*) const { return -1; }

QCPRange DenseLineBundle::getKeyRange(bool& found_range, QCP::SignDomain in_sign_domain) const {
  QCPRange range;
  found_range = false;
  for (const Series& s : series_) {
    if (!s.visible || s.data.isNull()) continue;
    bool found = false;
    const QCPRange r = s.data->keyRange(found, in_sign_domain);
    if (!found) continue;
    range =
        found_range ? QCPRange(std::min(range.lower, r.lower), std::max(range.upper, r.upper)) : r;
    found_range = true;
  }
  return range;
}

QCPRange DenseLineBundle::getValueRange(bool& found_range, QCP::SignDomain in_sign_domain,
                                        const QCPRange& in_key_range) const {
  // An axis rescale asks for the whole key range (QCPRange()): answered from each
  // series' cached range instead of a scan over every point.
  const bool whole = in_key_range == QCPRange();
  QCPRange range;
  found_range = false;
  for (const Series& s : series_) {
    if (!s.visible || s.data.isNull()) continue;
    bool found = false;
    QCPRange r;
    if (whole && s.value_range_domain == static_cast<int>(in_sign_domain)) {
      found = s.value_range_found;
      r = s.value_range;
    } else {
      r = s.data->valueRange(found, in_sign_domain, in_key_range);
      if (whole) {
        s.value_range = r;
        s.value_range_found = found;
        s.value_range_domain = static_cast<int>(in_sign_domain);
      }
    }
    if (!found) continue;
    range =
        found_range ? QCPRange(std::min(range.lower, r.lower), std::max(range.upper, r.upper)) : r;
    found_range = true;
  }
  return range;
}

void DenseLineBundle::appended(size_t index, double value) {
  if (index >= series_.size()) return;
  Series& s = series_[index];
  s.dirty = true;
  if (s.value_range_domain < 0 || std::isnan(value)) return;
  // The points QCPDataContainer::valueRange counts in each sign domain.
  const auto domain = static_cast<QCP::SignDomain>(s.value_range_domain);
  if ((domain == QCP::sdPositive && value <= 0) || (domain == QCP::sdNegative && value >= 0))
    return;
  s.value_range = s.value_range_found ? QCPRange(std::min(s.value_range.lower, value),
                                                 std::max(s.value_range.upper, value))
                                      : QCPRange(value, value);
  s.value_range_found = true;
}

// One pass over the points in the visible key range (plus one on each side, so
// lines leave the plot instead of stopping at its edge). The key axis is linear
// (steps or seconds), so a point's column is one multiply-add.
void DenseLineBundle::summarize(const QCPGraphDataContainer& data, double left,
                                std::vector<Column>* columns) const {
  columns->clear();
  QCPAxis* key_axis = mKeyAxis.data();
  const QCPRange range = key_axis->range();
  if (data.isEmpty() || range.size() <= 0) return;
  const double p0 = key_axis->coordToPixel(range.lower), p1 = key_axis->coordToPixel(range.upper);
  const double scale = (p1 - p0) / range.size();
  const double offset = p0 - scale * range.lower - left;
  const bool log_values = mValueAxis->scaleType() == QCPAxis::stLogarithmic;
  auto begin = data.findBegin(range.lower, true), end = data.findEnd(range.upper, true);
  const auto is_gap = [log_values](double value) {  // a gap, as QCPGraph draws it
    return std::isnan(value) || (log_values && value <= 0);
  };
  Column current;
  bool open = false;
  for (auto it = begin; it != end;) {
    const double value = it->value;
    if (is_gap(value)) {
      if (open) columns->push_back(current);
      open = false;
      columns->push_back({INT_MIN, 0, 0, 0, 0});
      ++it;
      continue;
    }
    const double x = std::floor(scale * it->key + offset);
    const int column = static_cast<int>(std::clamp(x, -1e6, 1e6));
    if (open && column == current.column) {  // only where the clamp merges columns
      current.min = std::min(current.min, value);
      current.max = std::max(current.max, value);
      current.last = value;
    } else {
      if (open) columns->push_back(current);
      current = {column, value, value, value, value};
      open = true;
    }
    // The rest of this pixel column in one tight pass: the points whose position
    // p = scale·key + offset has floor(p) == x, i.e. x ≤ p < x + 1, without a floor
    // per point.
    const double next = x + 1.0;
    for (++it; it != end; ++it) {
      const double v = it->value;
      const double position = scale * it->key + offset;
      if (is_gap(v) || position >= next || position < x) break;
      current.min = std::min(current.min, v);
      current.max = std::max(current.max, v);
      current.last = v;
    }
  }
  if (open) columns->push_back(current);
}

void DenseLineBundle::rasterize(const std::vector<Column>& columns, QRgb color, int width,
                                int height, double top) {
  // Column-major, so that each span is one contiguous fill; transposed into the image once.
  QRgb* pixels = transposed_.data();
  QCPAxis* value_axis = mValueAxis.data();
  // A linear value axis is an affine map: no per-value call into QCPAxis.
  const bool linear = value_axis->scaleType() == QCPAxis::stLinear;
  const QCPRange range = value_axis->range();
  const double y0 = value_axis->coordToPixel(range.lower) - top;
  const double y_scale = (value_axis->coordToPixel(range.upper) - top - y0) / range.size();
  const auto y_of = [&](double value) {
    return linear ? y0 + (value - range.lower) * y_scale : value_axis->coordToPixel(value) - top;
  };
  const auto span = [&](int column, double y_a, double y_b) {
    if (column < 0 || column >= width) return;
    const double low = std::max(-1.0, std::min(y_a, y_b));
    const double high = std::min(static_cast<double>(height), std::max(y_a, y_b));
    int lo = static_cast<int>(low + 0.5);
    int hi = static_cast<int>(high + 0.5);
    lo = std::max(lo, 0);
    hi = std::min(hi, height - 1);
    if (lo <= hi) {
      QRgb* start = pixels + static_cast<size_t>(column) * height;
      std::fill(start + lo, start + hi + 1, color);
    }
  };
  bool have_previous = false;
  int previous_column = 0;
  double previous_y = 0.0;
  for (const Column& c : columns) {
    if (c.column == INT_MIN) {
      have_previous = false;
      continue;
    }
    const double y_first = y_of(c.first), y_min = y_of(c.min), y_max = y_of(c.max),
                 y_last = y_of(c.last);
    double lo = std::min(y_min, y_max), hi = std::max(y_min, y_max);
    if (have_previous) {
      const int gap = c.column - previous_column;
      if (gap == 1) {
        // Adjacent columns meet halfway between the previous last and this first value.
        const double mid = (previous_y + y_first) / 2;
        span(previous_column, previous_y, mid);
        lo = std::min(lo, mid);
        hi = std::max(hi, mid);
      } else if (gap > 1) {
        // A sparse stretch: the straight line from the previous point, column by column.
        const double slope = (y_first - previous_y) / gap;
        const int from = std::max(previous_column, -1), to = std::min(c.column, width);
        for (int column = from; column <= to; ++column) {
          const double t = column - previous_column;
          const double y_a = previous_y + slope * std::max(0.0, t - 0.5);
          const double y_b = previous_y + slope * std::min(static_cast<double>(gap), t + 0.5);
          span(column, y_a, y_b);
        }
      }
    }
    span(c.column, lo, hi);
    have_previous = true;
    previous_column = c.column;
    previous_y = y_last;
  }
}

void DenseLineBundle::drawVector(QCPPainter* painter, const std::vector<Column>& columns,
                                 double left, const QColor& color) const {
  painter->setPen(QPen(color, 1));
  QVector<QPointF> line;
  const auto flush = [&] {
    if (line.size() > 1) painter->drawPolyline(line.constData(), static_cast<int>(line.size()));
    line.clear();
  };
  for (const Column& c : columns) {
    if (c.column == INT_MIN) {
      flush();
      continue;
    }
    const double x = left + c.column + 0.5;
    line << QPointF(x, mValueAxis->coordToPixel(c.first));
    if (c.min != c.max) {
      line << QPointF(x, mValueAxis->coordToPixel(c.min))
           << QPointF(x, mValueAxis->coordToPixel(c.max));
    }
    line << QPointF(x, mValueAxis->coordToPixel(c.last));
  }
  flush();
}

void DenseLineBundle::draw(QCPPainter* painter) {
  if (mKeyAxis.isNull() || mValueAxis.isNull()) return;
  const QRect rect = mKeyAxis->axisRect()->rect();
  if (rect.width() <= 0 || rect.height() <= 0) return;
  const bool log_values = mValueAxis->scaleType() == QCPAxis::stLogarithmic;
  if (mKeyAxis->range() != summarized_range_ || rect != summarized_rect_ ||
      log_values != summarized_log_) {
    for (Series& s : series_) s.dirty = true;  // the pixel columns moved; the data did not
    summarized_range_ = mKeyAxis->range();
    summarized_rect_ = rect;
    summarized_log_ = log_values;
  }
  for (Series& s : series_) {
    if (!s.visible || s.data.isNull() || !s.dirty) continue;
    summarize(*s.data, rect.left(), &s.columns);
    s.dirty = false;
  }
  if (painter->modes().testFlag(QCPPainter::pmVectorized)) {
    for (const Series& s : series_)
      if (s.visible && !s.data.isNull()) drawVector(painter, s.columns, rect.left(), s.color);
    return;
  }
  const int width = rect.width(), height = rect.height();
  if (image_.size() != rect.size())
    image_ = QImage(rect.size(), QImage::Format_ARGB32_Premultiplied);
  transposed_.assign(static_cast<size_t>(width) * height, 0u);  // transparent
  for (const Series& s : series_)
    if (s.visible && !s.data.isNull())
      rasterize(s.columns, s.color.rgba() | 0xff000000u, width, height, rect.top());
  for (int y = 0; y < height; ++y) {
    auto* line = reinterpret_cast<QRgb*>(image_.scanLine(y));
    const QRgb* source = transposed_.data() + y;
    for (int x = 0; x < width; ++x) line[x] = source[static_cast<size_t>(x) * height];
  }
  // Column c covers pixels [left + c, left + c + 1): the image's pixel grid is the plot's.
  painter->drawImage(rect.topLeft(), image_);
}

void DenseLineBundle::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const {
  painter->setPen(QPen(series_.empty() ? QColor(Qt::gray) : series_.front().color));
  painter->drawLine(QLineF(rect.left(), rect.center().y(), rect.right(), rect.center().y()));
}

}  // namespace tensorpoly::ui
