// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/loss_plot_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSaveFile>
#include <QSlider>
#include <QSplitter>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/dense_line_bundle.h"
#include "ui/plot_export.h"
#include "ui/plot_panel.h"
#include "ui/qcustomplot_include.h"

namespace tensorpoly::ui {
namespace {

constexpr double kHoverRadiusPx = 8.0;
constexpr int kReplotDelayMs = 40;  // merges bursts of live increments into one replot

QColor faded(const QColor& color) {
  // Opaque blend towards white: translucent lines would cost time on dense series.
  return QColor::fromRgbF(color.redF() * 0.25f + 0.75f, color.greenF() * 0.25f + 0.75f,
                          color.blueF() * 0.25f + 0.75f);
}

QPixmap markerPixmap(const QColor& color) {
  QPixmap pixmap(7, 7);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setPen(QPen(color, 1.5));
  painter.setBrush(Qt::white);
  painter.drawEllipse(QRectF(0.75, 0.75, 5.5, 5.5));
  return pixmap;
}

QIcon swatch(const QColor& color) {
  QPixmap pixmap(12, 12);
  pixmap.fill(color);
  return QIcon(pixmap);
}

}  // namespace

double LossPlotView::Smoother::next(double value, double weight) {
  // TensorBoard's debiased EMA: the first points are not pulled towards zero.
  last = last * weight + (1.0 - weight) * value;
  ++count;
  const double debias = 1.0 - std::pow(weight, static_cast<double>(count));
  return debias > 0.0 ? last / debias : value;
}

LossPlotView::LossPlotView(QWidget* parent) : QWidget(parent) {
  own_selection_ = new TaskSelection(this);
  panel_ = new PlotPanel(this, {QSize(260, 180), /*range_interaction=*/true});
  plot_ = panel_->plot();
  plot_->addLayer(QStringLiteral("highlight"), plot_->layer(QStringLiteral("main")),
                  QCustomPlot::limAbove);
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(tr("loss"));
  const auto write = [this](const QString& path) { return exportTo(path); };
  panel_->addExport({tr("loss plot"), {QStringLiteral("png"), QStringLiteral("pdf")}, write});
  panel_->addExport({tr("loss table"), {QStringLiteral("csv")}, write});
  panel_->setHoverText([this](const QPoint& pos) { return hoverText(pos); });
  buildControls();
  connectControls();
  selection_ = own_selection_;
  rebuildGraphs();
  setSelection(own_selection_);
}

void LossPlotView::buildControls() {
  legend_ = new QListWidget(this);
  legend_->setSelectionMode(QAbstractItemView::SingleSelection);
  legend_->setUniformItemSizes(true);
  legend_->setToolTip(tr("Tick to show a task; select it to highlight it in every view"));
  smoothing_slider_ = new QSlider(Qt::Horizontal, this);
  smoothing_slider_->setRange(0, 99);
  smoothing_slider_->setMinimumWidth(80);  // a narrow dock must not squeeze it to a knob
  smoothing_slider_->setToolTip(tr("Exponential moving average weight (0 = raw)"));
  smoothing_label_ = new QLabel(QStringLiteral("0.00"), this);
  log_check_ = new QCheckBox(tr("Log scale"), this);
  eval_check_ = new QCheckBox(tr("Eval"), this);
  eval_check_->setChecked(true);
  mean_check_ = new QCheckBox(tr("Mean"), this);
  mean_check_->setChecked(true);
  x_combo_ = new QComboBox(this);
  x_combo_->addItems({tr("Step"), tr("Wall time")});

  // Two rows of controls, so that the panel fits beside the others on a 1280-pixel screen.
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Smoothing"), this));
  controls->addWidget(smoothing_slider_, 1);
  controls->addWidget(smoothing_label_);
  controls->addWidget(panel_->exportButton());
  auto* view_controls = new QHBoxLayout;
  view_controls->addWidget(log_check_);
  view_controls->addWidget(new QLabel(tr("x:"), this));
  view_controls->addWidget(x_combo_);
  view_controls->addWidget(eval_check_);
  view_controls->addWidget(mean_check_);
  view_controls->addStretch(1);
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(plot_);
  splitter->addWidget(legend_);
  splitter->setStretchFactor(0, 4);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({800, 200});  // scaled to the real width: the legend takes a fifth
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addLayout(view_controls);
  layout->addWidget(splitter, 1);
  layout->addWidget(panel_->readout());

  replot_timer_ = new QTimer(this);
  replot_timer_->setSingleShot(true);
  replot_timer_->setInterval(kReplotDelayMs);
}

void LossPlotView::connectControls() {
  connect(replot_timer_, &QTimer::timeout, this, [this] {
    if (mean_dirty_) {
      mean_smoother_ = {};
      fillGraph(mean_graph_, data_.mean, smoothing_ > 0.0, &mean_smoother_);
      mean_dirty_ = false;
    }
    rescaleIfAuto();
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
  connect(smoothing_slider_, &QSlider::valueChanged, this,
          [this](int value) { setSmoothing(value / 100.0); });
  connect(log_check_, &QCheckBox::toggled, this, &LossPlotView::setLogScale);
  connect(eval_check_, &QCheckBox::toggled, this, &LossPlotView::setShowEval);
  connect(mean_check_, &QCheckBox::toggled, this, &LossPlotView::setShowMean);
  connect(x_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) { setXAxis(index == 1 ? XAxis::kWallTime : XAxis::kStep); });
  connect(legend_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
    if (updating_legend_) return;
    selection_->setTaskVisible(legend_->row(item), item->checkState() == Qt::Checked);
  });
  // The selected row (not the current one: focus alone makes a row current) is the highlight.
  connect(legend_, &QListWidget::itemSelectionChanged, this, [this] {
    if (updating_legend_) return;
    const QList<QListWidgetItem*> selected = legend_->selectedItems();
    selection_->setHighlightedTask(selected.isEmpty() ? -1 : legend_->row(selected.front()));
  });
  // Dragging or zooming the axes ends automatic ranges; a double click restores them.
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) auto_range_ = false;
  });
  connect(plot_, &QCustomPlot::mouseWheel, this, [this] { auto_range_ = false; });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] {
    auto_range_ = true;
    rescaleIfAuto();
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
  connect(panel_, &PlotPanel::clicked, this, [this](const QPoint& pos) {
    const int task = taskAt(pos);
    if (task < 0) return;
    selection_->toggleHighlight(task);
    Q_EMIT taskClicked(task);
  });
}

void LossPlotView::setSelection(TaskSelection* selection) {
  if (selection == nullptr) selection = own_selection_;
  disconnect(highlight_connection_);
  disconnect(visibility_connection_);
  selection_ = selection;
  selection_->setTaskCount(taskCount());
  highlight_connection_ =
      connect(selection_, &TaskSelection::highlightedTaskChanged, this, [this](int task) {
        updating_legend_ = true;
        if (task < 0)
          legend_->clearSelection();
        else
          legend_->setCurrentRow(task);
        updating_legend_ = false;
        applyStyles();
        scheduleReplot();
      });
  visibility_connection_ = connect(selection_, &TaskSelection::visibilityChanged, this, [this] {
    applyVisibility();
    scheduleReplot();
  });
  rebuildLegend();
  applyStyles();
  applyVisibility();
}

void LossPlotView::clear() {
  panel_->clearHover();
  setSeries({});
}

void LossPlotView::setSeries(const LossSeriesData& data) {
  data_ = data;
  const size_t n_tasks = data_.tasks.size();
  data_.train.resize(n_tasks);
  data_.eval.resize(n_tasks);
  mean_computed_ = data_.mean.empty();
  if (mean_computed_) computeMean();
  palette_ = FamilyPalette(data_.tasks);
  selection_->setTaskCount(static_cast<int>(n_tasks));
  auto_range_ = true;
  rebuildGraphs();
  rebuildLegend();
  rescaleIfAuto();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlotView::computeMean() {
  data_.mean.clear();
  mean_counts_.clear();
  // Per-task series are sorted by step, so a k-way walk would do; a sort of all
  // (step, value) pairs is simpler and runs once per load.
  std::vector<const LossPoint*> all;
  for (const auto& series : data_.train)
    for (const LossPoint& point : series) all.push_back(&point);
  std::stable_sort(all.begin(), all.end(),
                   [](const LossPoint* a, const LossPoint* b) { return a->step < b->step; });
  for (const LossPoint* point : all) addToComputedMean(*point);
}

void LossPlotView::addToComputedMean(const LossPoint& point) {
  auto& mean = data_.mean;
  auto it = std::lower_bound(mean.begin(), mean.end(), point.step,
                             [](const LossPoint& p, int64_t step) { return p.step < step; });
  const auto index = static_cast<size_t>(it - mean.begin());
  if (it == mean.end() || it->step != point.step) {
    mean.insert(it, point);
    mean_counts_.insert(mean_counts_.begin() + static_cast<std::ptrdiff_t>(index), 1);
  } else {
    const int count = ++mean_counts_[index];
    it->value += (point.value - it->value) / count;
    it->wall_time_s = std::max(it->wall_time_s, point.wall_time_s);
  }
  mean_dirty_ = true;
}

double LossPlotView::keyOf(const LossPoint& point) const {
  return x_axis_ == XAxis::kStep ? static_cast<double>(point.step) : point.wall_time_s;
}

void LossPlotView::fillGraph(QCPGraph* graph, const std::vector<LossPoint>& points, bool smooth,
                             Smoother* state) {
  QVector<QCPGraphData> values(static_cast<int>(points.size()));
  for (size_t i = 0; i < points.size(); ++i) {
    const double value = smooth ? state->next(points[i].value, smoothing_) : points[i].value;
    values[static_cast<int>(i)] = QCPGraphData(keyOf(points[i]), value);
  }
  graph->data()->set(values, /*alreadySorted=*/true);
}

double LossPlotView::appendToGraph(QCPGraph* graph, const LossPoint& point, bool smooth,
                                   Smoother* state) {
  const double value = smooth ? state->next(point.value, smoothing_) : point.value;
  graph->addData(keyOf(point), value);
  return value;
}

void LossPlotView::rebuildGraphs() {
  plot_->clearGraphs();
  if (bundle_ != nullptr) plot_->removePlottable(bundle_);
  train_graphs_.clear();
  eval_graphs_.clear();
  const int n_tasks = taskCount();
  for (int task = 0; task < n_tasks; ++task) {
    QCPGraph* graph = plot_->addGraph();
    graph->setName(data_.tasks[task].name);
    graph->setAdaptiveSampling(true);
    graph->setAntialiased(false);
    train_graphs_.push_back(graph);
  }
  // Drawn below the eval markers, the highlighted task and the mean.
  bundle_ = new DenseLineBundle(plot_->xAxis, plot_->yAxis);
  std::vector<DenseLineBundle::Series> series;
  for (QCPGraph* graph : train_graphs_) {
    DenseLineBundle::Series one;
    one.data = graph->data();
    series.push_back(std::move(one));
  }
  bundle_->setSeries(std::move(series));
  for (int task = 0; task < n_tasks; ++task) {
    QCPGraph* graph = plot_->addGraph();
    // A held-out task has no training curve: its few-shot evaluations, after training,
    // are drawn as a curve of their own.
    const bool heldout = data_.tasks[task].split == QLatin1String("heldout");
    graph->setName(data_.tasks[task].name + (heldout ? tr(" (few-shot)") : tr(" (eval)")));
    graph->setLineStyle(heldout ? QCPGraph::lsLine : QCPGraph::lsNone);
    graph->setAntialiased(false);
    eval_graphs_.push_back(graph);
  }
  mean_graph_ = plot_->addGraph();
  mean_graph_->setName(tr("mean"));
  mean_graph_->setAdaptiveSampling(true);
  mean_graph_->setLayer(QStringLiteral("highlight"));
  refillAll();
  applyStyles();
  applyVisibility();
}

void LossPlotView::refillAll() {
  const bool smooth = smoothing_ > 0.0;
  train_smoothers_.assign(train_graphs_.size(), Smoother{});
  for (size_t task = 0; task < train_graphs_.size(); ++task) {
    fillGraph(train_graphs_[task], data_.train[task], smooth, &train_smoothers_[task]);
    Smoother unused;
    fillGraph(eval_graphs_[task], data_.eval[task], false, &unused);
  }
  mean_smoother_ = {};
  fillGraph(mean_graph_, data_.mean, smooth, &mean_smoother_);
  mean_dirty_ = false;
  if (bundle_ != nullptr) bundle_->invalidateAll();
}

void LossPlotView::rebuildLegend() {
  updating_legend_ = true;
  legend_->clear();
  for (int task = 0; task < taskCount(); ++task) {
    const TaskLabel& label = data_.tasks[task];
    auto* item = new QListWidgetItem(swatch(palette_.taskColor(task)),
                                     label.family.isEmpty()
                                         ? label.name
                                         : QStringLiteral("%1  (%2)").arg(label.name, label.family),
                                     legend_);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
    item->setCheckState(selection_->isVisible(task) ? Qt::Checked : Qt::Unchecked);
  }
  if (selection_->highlightedTask() >= 0) legend_->setCurrentRow(selection_->highlightedTask());
  updating_legend_ = false;
}

void LossPlotView::applyStyles() {
  if (mean_graph_ == nullptr) return;
  const int highlighted = selection_ ? selection_->highlightedTask() : -1;
  for (int task = 0; task < static_cast<int>(train_graphs_.size()); ++task) {
    const bool is_highlighted = task == highlighted;
    QColor color = palette_.taskColor(task);
    if (highlighted >= 0 && !is_highlighted) color = faded(color);
    train_graphs_[task]->setPen(QPen(color, is_highlighted ? 2.5 : 1.0));
    bundle_->series()[static_cast<size_t>(task)].color = color;
    train_graphs_[task]->setLayer(is_highlighted ? QStringLiteral("highlight")
                                                 : QStringLiteral("main"));
    eval_graphs_[task]->setPen(QPen(color));
    // Pre-rendered circles: hundreds of vector ellipses per replot cost more than the lines.
    eval_graphs_[task]->setScatterStyle(
        is_highlighted
            ? QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(color, 1.5), QBrush(Qt::white), 8)
            : QCPScatterStyle(markerPixmap(color)));
    eval_graphs_[task]->setLayer(train_graphs_[task]->layer());
  }
  mean_graph_->setPen(QPen(highlighted >= 0 ? QColor(90, 90, 90) : QColor(Qt::black), 2.0));
  applyVisibility();  // the highlighted task leaves the bundle for its own, wider graph
}

void LossPlotView::applyVisibility() {
  if (mean_graph_ == nullptr) return;
  const int highlighted = selection_->highlightedTask();
  for (int task = 0; task < static_cast<int>(train_graphs_.size()); ++task) {
    const bool visible = selection_->isVisible(task);
    train_graphs_[task]->setVisible(visible && task == highlighted);
    bundle_->series()[static_cast<size_t>(task)].visible = visible && task != highlighted;
    eval_graphs_[task]->setVisible(visible && show_eval_);
  }
  mean_graph_->setVisible(show_mean_);
  if (!updating_legend_) {
    updating_legend_ = true;
    for (int task = 0; task < legend_->count(); ++task)
      legend_->item(task)->setCheckState(selection_->isVisible(task) ? Qt::Checked : Qt::Unchecked);
    updating_legend_ = false;
  }
}

void LossPlotView::appendPoints(const std::vector<LossIncrement>& points) {
  const bool smooth = smoothing_ > 0.0;
  for (const LossIncrement& increment : points) {
    if (increment.task < 0) {
      if (increment.eval) continue;
      if (mean_computed_) continue;  // the mean is ours; it follows the per-task points
      data_.mean.push_back(increment.point);
      appendToGraph(mean_graph_, increment.point, smooth, &mean_smoother_);
      continue;
    }
    if (increment.task >= taskCount()) continue;
    const auto task = static_cast<size_t>(increment.task);
    if (increment.eval) {
      data_.eval[task].push_back(increment.point);
      eval_graphs_[task]->addData(keyOf(increment.point), increment.point.value);
    } else {
      data_.train[task].push_back(increment.point);
      bundle_->appended(task, appendToGraph(train_graphs_[task], increment.point, smooth,
                                            &train_smoothers_[task]));
      if (mean_computed_) addToComputedMean(increment.point);
    }
  }
  scheduleReplot();
}

void LossPlotView::setSmoothing(double weight) {
  weight = std::clamp(weight, 0.0, 0.99);
  if (weight == smoothing_) return;
  smoothing_ = weight;
  smoothing_label_->setText(QString::number(weight, 'f', 2));
  const int slider_value = static_cast<int>(std::lround(weight * 100));
  if (smoothing_slider_->value() != slider_value) smoothing_slider_->setValue(slider_value);
  refillAll();
  scheduleReplot();
}

void LossPlotView::setLogScale(bool on) {
  log_scale_ = on;
  if (log_check_->isChecked() != on) log_check_->setChecked(on);
  plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (on)
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  else
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  auto_range_ = true;
  rescaleIfAuto();
  scheduleReplot();
}

void LossPlotView::setXAxis(XAxis axis) {
  if (axis == x_axis_) return;
  x_axis_ = axis;
  if (x_combo_->currentIndex() != (axis == XAxis::kWallTime ? 1 : 0))
    x_combo_->setCurrentIndex(axis == XAxis::kWallTime ? 1 : 0);
  plot_->xAxis->setLabel(axis == XAxis::kStep ? tr("step") : tr("wall time (s)"));
  refillAll();
  auto_range_ = true;
  rescaleIfAuto();
  scheduleReplot();
}

void LossPlotView::setShowEval(bool on) {
  show_eval_ = on;
  if (eval_check_->isChecked() != on) eval_check_->setChecked(on);
  applyVisibility();
  scheduleReplot();
}

void LossPlotView::setShowMean(bool on) {
  show_mean_ = on;
  if (mean_check_->isChecked() != on) mean_check_->setChecked(on);
  applyVisibility();
  scheduleReplot();
}

void LossPlotView::rescaleIfAuto() {
  if (!auto_range_) return;
  plot_->rescaleAxes(/*onlyVisiblePlottables=*/true);
  // A little headroom so that the extreme points are not on the frame.
  plot_->yAxis->scaleRange(1.05, plot_->yAxis->range().center());
}

void LossPlotView::scheduleReplot() {
  if (!replot_timer_->isActive()) replot_timer_->start();
}

bool LossPlotView::isSeriesShown(int task) const {
  if (task < 0 || task >= static_cast<int>(train_graphs_.size())) return false;
  return train_graphs_[task]->visible() || bundle_->series()[static_cast<size_t>(task)].visible;
}

QCPGraph* LossPlotView::trainGraph(int task) const {
  if (task < 0 || task >= static_cast<int>(train_graphs_.size())) return nullptr;
  return train_graphs_[task];
}

LossPlotView::Hit LossPlotView::nearest(const QPoint& pos) const {
  Hit best;
  best.distance = kHoverRadiusPx;
  const double key_low = plot_->xAxis->pixelToCoord(pos.x() - kHoverRadiusPx);
  const double key_high = plot_->xAxis->pixelToCoord(pos.x() + kHoverRadiusPx);
  const auto consider = [&](const QCPGraph* graph, int task, bool eval) {
    const bool shown = task < 0 || eval ? graph->visible() : isSeriesShown(task);
    if (!shown || graph->data()->isEmpty()) return;
    const auto& data = *graph->data();
    const auto begin = data.findBegin(std::min(key_low, key_high), false);
    const auto end = data.findEnd(std::max(key_low, key_high), false);
    for (auto it = begin; it != end; ++it) {
      const QPointF pixel = graph->coordsToPixels(it->key, it->value);
      const double distance = std::hypot(pixel.x() - pos.x(), pixel.y() - pos.y());
      if (distance <= best.distance) {
        best = {task, eval, static_cast<int>(it - data.constBegin()), distance};
      }
    }
  };
  // The mean and the highlighted task are drawn on top, so they win ties.
  for (int task = 0; task < static_cast<int>(train_graphs_.size()); ++task) {
    consider(train_graphs_[task], task, false);
    consider(eval_graphs_[task], task, true);
  }
  const int highlighted = selection_->highlightedTask();
  if (highlighted >= 0 && highlighted < static_cast<int>(train_graphs_.size())) {
    consider(train_graphs_[highlighted], highlighted, false);
    consider(eval_graphs_[highlighted], highlighted, true);
  }
  consider(mean_graph_, -1, false);
  return best;
}

int LossPlotView::taskAt(const QPoint& pos) const { return nearest(pos).task; }

QString LossPlotView::hoverText(const QPoint& pos) const {
  const Hit hit = nearest(pos);
  if (hit.index < 0) return {};
  const std::vector<LossPoint>& points =
      hit.task < 0 ? data_.mean : (hit.eval ? data_.eval[hit.task] : data_.train[hit.task]);
  if (hit.index >= static_cast<int>(points.size())) return {};
  const LossPoint& point = points[static_cast<size_t>(hit.index)];
  QString who = hit.task < 0 ? tr("mean over tasks") : data_.tasks[hit.task].name;
  if (hit.task >= 0 && !data_.tasks[hit.task].family.isEmpty())
    who += QStringLiteral(" (%1)").arg(data_.tasks[hit.task].family);
  QString text = tr("%1 — %2 step %3, loss %4")
                     .arg(who, hit.eval ? tr("eval") : tr("train"))
                     .arg(point.step)
                     .arg(point.value, 0, 'g', 5);
  if (x_axis_ == XAxis::kWallTime) text += tr(", at %1 s").arg(point.wall_time_s, 0, 'f', 1);
  if (!hit.eval && smoothing_ > 0.0) {
    const QCPGraph* graph = hit.task < 0 ? mean_graph_ : train_graphs_[hit.task];
    text += tr(" (smoothed %1)").arg((graph->data()->constBegin() + hit.index)->value, 0, 'g', 5);
  }
  return text;
}

QString LossPlotView::exportTo(const QString& path) {
  if (!path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) return panel_->exportImage(path);
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
    return tr("could not open %1 for writing: %2").arg(path, file.errorString());
  QTextStream out(&file);
  out << csvLine({QStringLiteral("task"), QStringLiteral("family"), QStringLiteral("split"),
                  QStringLiteral("step"), QStringLiteral("wall_time_s"), QStringLiteral("loss"),
                  QStringLiteral("smoothed")})
      << '\n';
  // "smoothed" is what the plot draws at the current slider setting (the raw loss at 0);
  // eval markers are never smoothed, so their column is empty.
  const auto write = [&](const QString& task, const QString& family, const QString& split,
                         const std::vector<LossPoint>& points) {
    const bool smoothed_series = split != QLatin1String("eval");
    Smoother smoother;
    for (const LossPoint& p : points) {
      const QString smoothed =
          smoothed_series ? QString::number(smoother.next(p.value, smoothing_), 'g', 9) : QString();
      out << csvLine({task, family, split, QString::number(p.step),
                      QString::number(p.wall_time_s, 'g', 10), QString::number(p.value, 'g', 9),
                      smoothed})
          << '\n';
    }
  };
  for (int task = 0; task < taskCount(); ++task) {
    write(data_.tasks[task].name, data_.tasks[task].family, QStringLiteral("train"),
          data_.train[task]);
    write(data_.tasks[task].name, data_.tasks[task].family, QStringLiteral("eval"),
          data_.eval[task]);
  }
  write(QStringLiteral("mean"), QString(), QStringLiteral("train"), data_.mean);
  out.flush();
  if (!file.commit()) return tr("could not write %1: %2").arg(path, file.errorString());
  return {};
}

}  // namespace tensorpoly::ui
