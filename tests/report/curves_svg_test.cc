// Plot axes, curve smoothing and downsampling, and the SVG of loss curves.
#include "report/curves_svg.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "graph/rng.h"
#include "io/atomic_file.h"
#include "report/curve_points.h"
#include "report/plot_axis.h"
#include "tests/support/synthetic_history.h"

using namespace tg;
using tg::testing::synthetic_history;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Start and end tags nest properly (enough of XML for what the renderer writes:
// no comments, CDATA or processing instructions).
bool tags_balanced(const std::string& svg) {
  std::vector<std::string> open;
  for (std::size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    const std::size_t end = svg.find('>', at);
    if (end == std::string::npos) return false;
    const std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag.empty()) return false;
    const bool closing = tag[0] == '/';
    const bool self_closing = tag.back() == '/';
    const std::string body = closing ? tag.substr(1) : tag;
    const std::string name = body.substr(0, body.find_first_of(" \n/"));
    if (closing) {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
  }
  return open.empty();
}

// The checks every rendered SVG must pass.
void check_well_formed(const std::string& svg, const std::string& title_as_escaped) {
  CAPTURE(svg.substr(0, 300));
  CHECK(svg.rfind("<svg", 0) == 0);
  const std::string trimmed = svg.substr(0, svg.find_last_not_of(" \n") + 1);
  CHECK(trimmed.size() >= 6);
  CHECK(trimmed.substr(trimmed.size() - 6) == "</svg>");
  CHECK(tags_balanced(svg));
  for (const char* label : {">iteration<", ">loss<", ">epoch<", ">accuracy<"}) {
    CHECK(svg.find(label) != std::string::npos);
  }
  CHECK(svg.find(">" + title_as_escaped + "<") != std::string::npos);
  const std::string text = lower(svg);
  CHECK(text.find("nan") == std::string::npos);
  CHECK(text.find("inf") == std::string::npos);
}

// The number of x,y pairs in the points of the polylines of a class.
std::size_t points_drawn(const std::string& svg, const std::string& css_class) {
  std::size_t count = 0;
  const std::string start = "<polyline class=\"" + css_class + "\"";
  for (std::size_t at = svg.find(start); at != std::string::npos; at = svg.find(start, at + 1)) {
    const std::size_t points = svg.find("points=\"", at) + 8;
    const std::size_t end = svg.find('"', points);
    count +=
        static_cast<std::size_t>(std::count(svg.begin() + static_cast<std::ptrdiff_t>(points),
                                            svg.begin() + static_cast<std::ptrdiff_t>(end), ','));
  }
  return count;
}

// Keeps an SVG to look at: in the test's outputs.zip under bazel-testlogs.
void save_example(const std::string& name, const std::string& svg) {
  const char* folder = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (folder != nullptr) write_file_atomically(std::string(folder) + "/" + name + ".svg", svg);
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("nice_step rounds up to 1, 2 or 5 times a power of ten") {
  CHECK(nice_step(1.0) == doctest::Approx(1.0));
  CHECK(nice_step(1.3) == doctest::Approx(2.0));
  CHECK(nice_step(2.0) == doctest::Approx(2.0));
  CHECK(nice_step(3.7) == doctest::Approx(5.0));
  CHECK(nice_step(7.0) == doctest::Approx(10.0));
  CHECK(nice_step(0.031) == doctest::Approx(0.05));
  CHECK(nice_step(420.0) == doctest::Approx(500.0));
  CHECK(nice_step(1e-7) == doctest::Approx(1e-7));
}

TEST_CASE("nice_axis covers the range with at most max_ticks nice ticks") {
  const PlotAxis axis = nice_axis({0.13, 2.31, 7, 0, true});
  CHECK(axis.step == doctest::Approx(0.5));
  CHECK(axis.low == doctest::Approx(0.0));
  CHECK(axis.high == doctest::Approx(2.5));
  CHECK(axis.ticks.size() == 6);
  CHECK(tick_labels(axis) == std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"});

  const PlotAxis unsnapped = nice_axis({1, 1999, 9, 1, false});
  CHECK(unsnapped.low == 1);
  CHECK(unsnapped.high == 1999);
  CHECK(tick_labels(unsnapped) == std::vector<std::string>{"500", "1000", "1500"});

  // Integer quantities never get fractional steps.
  CHECK(nice_axis({0.5, 2.5, 11, 1, false}).step == 1);

  for (double low : {-3.0, 0.0, 1e-9, 7.0, 1e12}) {
    for (double span : {1e-3, 1.0, 37.0, 1e6}) {
      for (int max_ticks : {2, 3, 5, 8}) {
        const PlotAxis a = nice_axis({low, low + span, max_ticks, 0, true});
        CAPTURE(low);
        CAPTURE(span);
        CAPTURE(max_ticks);
        CHECK(a.ticks.size() <= static_cast<std::size_t>(std::max(max_ticks, low < 0 ? 3 : 2)));
        CHECK(a.ticks.size() >= 2);
        CHECK(a.low <= low);
        CHECK(a.high >= low + span);
      }
    }
  }
}

TEST_CASE("nice_axis widens an empty range around its value") {
  const PlotAxis around_two = nice_axis({2, 2, 5, 0, true});
  CHECK(around_two.low < 2);
  CHECK(around_two.high > 2);
  const PlotAxis around_zero = nice_axis({0, 0, 5, 0, true});
  CHECK(around_zero.low < 0);
  CHECK(around_zero.high > 0);
  CHECK(std::isfinite(nice_axis({1e300, 1e300, 5, 0, true}).step));
}

TEST_CASE("tick_labels use thousands and exponents where plain numbers get long") {
  CHECK(tick_labels(nice_axis({0, 100000, 6, 1, true})) ==
        std::vector<std::string>{"0", "20k", "40k", "60k", "80k", "100k"});
  const auto tiny = tick_labels(nice_axis({0, 4e-7, 5, 0, true}));
  CHECK(tiny.front() == "0");
  CHECK(tiny.back() == "4e-07");
  CHECK(tick_labels(nice_axis({-1, 1, 5, 0, true})) ==
        std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"});
}

TEST_CASE("centred_moving_average: centred means inside, a local line at the ends") {
  std::vector<CurvePoint> points;
  for (int i = 0; i < 7; ++i) points.push_back({double(i), double(i * i)});
  const auto smoothed = centred_moving_average(points, 2);
  REQUIRE(smoothed.size() == 7);
  CHECK(smoothed[3].x == 3);
  CHECK(smoothed[2].y == doctest::Approx((0 + 1 + 4 + 9 + 16) / 5.0));
  CHECK(smoothed[3].y == doctest::Approx((1 + 4 + 9 + 16 + 25) / 5.0));
  CHECK(smoothed[4].y == doctest::Approx((4 + 9 + 16 + 25 + 36) / 5.0));
  // Point 0: the least-squares line through points 0..4 (6 + 4 (u - 2)) at u = 0.
  CHECK(smoothed[0].y == doctest::Approx(-2.0));
  CHECK(centred_moving_average({}, 5).empty());
  CHECK(centred_moving_average({{1, 5}}, 5)[0].y == 5);

  // A straight line is left exactly as it is, ends included.
  std::vector<CurvePoint> line;
  for (int i = 0; i < 50; ++i) line.push_back({double(i), 3.0 * i - 7});
  for (const auto& p : centred_moving_average(line, 6))
    CHECK(p.y == doctest::Approx(3.0 * p.x - 7));
}

TEST_CASE("centred_moving_average reduces noise evenly, ends included") {
  Rng rng(3);
  std::vector<CurvePoint> noisy;
  for (int i = 0; i < 3000; ++i) noisy.push_back({double(i), 1.0 + 0.5 * rng.normal()});
  const auto smoothed = centred_moving_average(noisy, 50);
  for (std::size_t i : {0u, 10u, 1500u, 2990u, 2999u}) {
    CAPTURE(i);
    CHECK(std::abs(smoothed[i].y - 1.0) < 0.25);
  }
}

TEST_CASE("centred_moving_average keeps small values exact after a huge spike") {
  std::vector<CurvePoint> points;
  for (int i = 0; i < 100; ++i) points.push_back({double(i), i == 10 ? 1e30 : 0.25});
  const auto smoothed = centred_moving_average(points, 3);
  CHECK(smoothed[11].y > 1e28);
  CHECK(smoothed[50].y == 0.25);
}

TEST_CASE("downsample_keeping_extremes bounds the count and keeps the extremes") {
  std::vector<CurvePoint> points;
  for (int i = 0; i < 100000; ++i) points.push_back({double(i), std::sin(i * 0.001)});
  points[31337].y = 50;   // a spike
  points[77777].y = -50;  // a dip
  const auto kept = downsample_keeping_extremes(points, 2000);
  CHECK(kept.size() <= 2000);
  CHECK(kept.size() >= 1900);
  CHECK(kept.front().x == 0);
  CHECK(kept.back().x == 99999);
  CHECK(std::is_sorted(kept.begin(), kept.end(),
                       [](const CurvePoint& a, const CurvePoint& b) { return a.x < b.x; }));
  const auto [low, high] = std::minmax_element(
      kept.begin(), kept.end(), [](const CurvePoint& a, const CurvePoint& b) { return a.y < b.y; });
  CHECK(low->y == -50);
  CHECK(high->y == 50);
  std::vector<CurvePoint> few(points.begin(), points.begin() + 10);
  CHECK(downsample_keeping_extremes(few, 2000).size() == 10);
}

TEST_CASE("curves SVG of a normal run has both panels, labels and the title") {
  const History history = synthetic_history(2000, 10);
  const std::string svg =
      render_curves_svg(history, "run-1", "run-1: FullyConnectedNet on CIFAR-10");
  check_well_formed(svg, "run-1: FullyConnectedNet on CIFAR-10");
  CHECK(points_drawn(svg, "raw-loss") == 2000);
  CHECK(points_drawn(svg, "smoothed-loss") == 2000);
  CHECK(points_drawn(svg, "train-acc") == 10);
  CHECK(points_drawn(svg, "val-acc") == 10);
  CHECK(svg.find(">train<") != std::string::npos);
  CHECK(svg.find(">validation<") != std::string::npos);
  CHECK(svg.find(">smoothed<") != std::string::npos);
}

TEST_CASE("curves SVG escapes XML special characters in the title and labels") {
  const History history = synthetic_history(50, 2);
  const std::string svg = render_curves_svg({{"a<b & \"c\"", history}, {"d'e>f", history}},
                                            "loss & <accuracy> of \"x\" vs 'y'");
  check_well_formed(svg, "loss &amp; &lt;accuracy&gt; of &quot;x&quot; vs &apos;y&apos;");
  CHECK(svg.find(">a&lt;b &amp; &quot;c&quot;<") != std::string::npos);
  CHECK(svg.find(">d&apos;e&gt;f<") != std::string::npos);
  CHECK(svg.find("<accuracy>") == std::string::npos);
}

TEST_CASE("curves SVG of an empty history draws empty panels") {
  const std::string svg = render_curves_svg(History{}, "empty", "empty");
  save_example("empty", svg);
  check_well_formed(svg, "empty");
  CHECK(svg.find("no loss values yet") != std::string::npos);
  CHECK(svg.find("no epochs yet") != std::string::npos);
  CHECK(points_drawn(svg, "raw-loss") == 0);
  check_well_formed(render_curves_svg(std::vector<LabeledHistory>{}, "nothing"), "nothing");
}

TEST_CASE("curves SVG of a single iteration and epoch draws dots") {
  History history;
  history.iterations.push_back({1, 0.01, 2.302585, 1e-3});
  history.epochs.push_back({1, 0.11, 0.1, 1e-3, 3.5});
  const std::string svg = render_curves_svg(history, "one", "one point");
  save_example("one_point", svg);
  check_well_formed(svg, "one point");
  CHECK(svg.find("<circle class=\"raw-loss\"") != std::string::npos);
  CHECK(svg.find("<circle class=\"train-acc\"") != std::string::npos);
  CHECK(svg.find("<circle class=\"val-acc\"") != std::string::npos);
}

TEST_CASE("curves SVG leaves out NaN and infinite values") {
  History history = synthetic_history(300, 3);
  history.iterations[5].loss = kNaN;
  history.iterations[6].loss = kInf;
  history.iterations[7].loss = -kInf;
  history.iterations[8].loss = 1e300;
  history.epochs[1].val_acc = kNaN;
  history.epochs[2].train_acc = kInf;
  const std::string svg = render_curves_svg(history, "diverged", "diverged run");
  save_example("diverged", svg);
  check_well_formed(svg, "diverged run");
  CHECK(points_drawn(svg, "raw-loss") == 296);
  CHECK(points_drawn(svg, "val-acc") == 2);
  CHECK(points_drawn(svg, "train-acc") == 2);

  History all_bad;
  all_bad.iterations = {{1, 0.1, kNaN, 0.1}, {2, 0.2, kInf, 0.1}};
  all_bad.epochs = {{1, kNaN, kNaN, 0.1, kNaN}};
  const std::string empty_svg = render_curves_svg(all_bad, "bad", "all missing");
  check_well_formed(empty_svg, "all missing");
  CHECK(empty_svg.find("no loss values yet") != std::string::npos);
}

TEST_CASE("curves SVG of equal losses and accuracies has a usable range") {
  History history;
  for (int i = 1; i <= 100; ++i) history.iterations.push_back({i, i / 10.0, 1.5, 0.1});
  for (int e = 1; e <= 10; ++e) history.epochs.push_back({e, 0.5, 0.5, 0.1, 1});
  const std::string svg = render_curves_svg(history, "flat", "flat");
  save_example("flat", svg);
  check_well_formed(svg, "flat");
  CHECK(points_drawn(svg, "raw-loss") == 100);

  History zeros;
  zeros.iterations = {{1, 1, 0, 0}, {2, 2, 0, 0}};
  zeros.epochs = {{1, 0, 0, 0, 0}, {2, 1, 1, 0, 0}};
  check_well_formed(render_curves_svg(zeros, "zeros", "zeros"), "zeros");
}

TEST_CASE("curves SVG overlays runs, each in its own colour, named in the legend") {
  const std::vector<LabeledHistory> runs = {{"adam-lr1e-3", synthetic_history(1000, 5, 1)},
                                            {"sgd-lr1e-2", synthetic_history(600, 3, 2)}};
  const std::string svg = render_curves_svg(runs, "adam vs sgd");
  save_example("two_runs", svg);
  check_well_formed(svg, "adam vs sgd");
  CHECK(svg.find(">adam-lr1e-3<") != std::string::npos);
  CHECK(svg.find(">sgd-lr1e-2<") != std::string::npos);
  CHECK(occurrences(svg, "<polyline class=\"raw-loss\"") == 2);
  CHECK(occurrences(svg, "<polyline class=\"smoothed-loss\"") == 2);
  CHECK(occurrences(svg, "<polyline class=\"train-acc\"") == 2);
  CHECK(occurrences(svg, "<polyline class=\"val-acc\"") == 2);
  CHECK(points_drawn(svg, "raw-loss") == 1600);
  // The second run's colour is in use.
  CHECK(svg.find("stroke=\"#ff7f0e\"") != std::string::npos);
}

TEST_CASE("curves SVG without a title is titled by the runs' labels") {
  const History history = synthetic_history(20, 2);
  check_well_formed(render_curves_svg(history, "run-3", ""), "run-3");
  check_well_formed(render_curves_svg({{"a", history}, {"b", history}}, ""), "a, b");
}

TEST_CASE("curves SVG of many runs with long names wraps the legend") {
  std::vector<LabeledHistory> runs;
  for (int r = 0; r < 14; ++r) {
    runs.push_back(
        {"a-rather-long-run-name-number-" + std::to_string(r) + "-with-more-words-at-the-end",
         synthetic_history(100, 2, static_cast<std::uint64_t>(r))});
  }
  const std::string svg = render_curves_svg(runs, "many runs");
  save_example("many_runs", svg);
  check_well_formed(svg, "many runs");
  CHECK(svg.find("height=\"420\"") == std::string::npos);  // taller than one legend row
}

TEST_CASE("curves SVG of a long run downsamples the raw points it draws") {
  const History history = synthetic_history(100000, 50);
  const std::string svg = render_curves_svg(history, "long", "100k iterations");
  save_example("long", svg);
  check_well_formed(svg, "100k iterations");
  CHECK(points_drawn(svg, "raw-loss") <= 2000);
  CHECK(points_drawn(svg, "raw-loss") >= 1500);
  CHECK(points_drawn(svg, "smoothed-loss") <= 2000);
  CHECK(svg.size() < 400000);
}

TEST_CASE("curves SVG examples") {
  const std::string title = "example: ThreeLayerConvNet on CIFAR-10 (adam, lr 1e-3)";
  const std::string svg = render_curves_svg(synthetic_history(2000, 10), "example", title);
  check_well_formed(svg, title);
  save_example("example_curves", svg);
  const std::string overlay =
      render_curves_svg({{"adam-lr1e-3", synthetic_history(2000, 10, 1)},
                         {"sgd-momentum-lr1e-2", synthetic_history(1500, 8, 2, 1e-2)},
                         {"rmsprop-lr1e-4", synthetic_history(2500, 12, 3, 1e-4)}},
                        "optimizers on CIFAR-10");
  check_well_formed(overlay, "optimizers on CIFAR-10");
  save_example("example_overlay", overlay);
}
