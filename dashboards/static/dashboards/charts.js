/* Dashboard charts: each figure.dash-chart draws its own data table with Apache ECharts.
 *
 * Progressive enhancement: without JavaScript, or when ECharts did not load, the table is
 * the figure and the canvas stays hidden. The table is the only source of the numbers:
 *
 *   <figure class="dash-chart" data-chart="line|bar" [data-percent] [data-unit="学时"]>
 *     <figcaption>Title</figcaption>
 *     <div class="dash-chart-canvas"></div>        (hidden by the stylesheet until drawn)
 *     <details class="dash-chart-data" open><summary>数据表</summary>
 *       <table><thead><tr><th>月份</th><th>2026年</th>...</tr></thead>
 *         <tbody><tr><th scope="row">1月</th><td data-value="12.5">12.5</td>...</tr></tbody>
 *       </table></details></figure>
 *
 * The first column holds the categories (x axis), every further column one series named by
 * its header; data-value is the raw number (empty: no value, drawn as a gap). data-percent
 * means values are percentages (axis 0 to 100 %), data-unit names the unit of the axis and
 * the tooltip. Once a chart is drawn its table folds away (details loses open), one click
 * from the chart, and the figure gets the class is-drawn. ECharts' aria option writes a description of every series and value on
 * the canvas (role="img", aria-label) and gives bars decal patterns, so colour is never the
 * only difference; lines differ by dash and symbol as well.
 *
 * The Content-Security-Policy allows no inline style attribute: the tooltip is built from
 * DOM nodes (ECharts' default tooltip writes HTML with style attributes, which the policy
 * blocks); every style set here goes through element.style (CSSOM), which it allows.
 */
(function () {
  "use strict";

  // Site colours (lms/static/lms/css/site.css): brand red, focus blue, ok green, muted slate.
  var COLOURS = ["#a61b1b", "#1d4ed8", "#1e6b3a", "#52606d", "#b45309", "#7f1414"];
  var LINE_TYPES = ["solid", "dashed", "dotted"];
  var SYMBOLS = ["circle", "rect", "triangle", "diamond", "roundRect", "pin"];
  var charts = [];

  function text(node) {
    return node ? node.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function number(cell) {
    if (!cell) return null;
    var raw = cell.getAttribute("data-value");
    if (raw === null) raw = text(cell);
    raw = raw.trim();
    if (raw === "") return null;
    var value = Number(raw);
    return isFinite(value) ? value : null;
  }

  /* The table as {categories: [...], series: [{name, values: [...]}, ...]}, or null. */
  function readTable(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head || head.cells.length < 2 || !table.tBodies.length) return null;
    var series = [];
    for (var column = 1; column < head.cells.length; column++) {
      series.push({ name: text(head.cells[column]), values: [] });
    }
    var categories = [];
    var rows = table.tBodies[0].rows;
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].cells;
      categories.push(text(cells[0]));
      for (var s = 0; s < series.length; s++) series[s].values.push(number(cells[s + 1]));
    }
    return categories.length ? { categories: categories, series: series } : null;
  }

  function formatter(language, percent, unit) {
    var format = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
    return function (value) {
      if (value === null || value === undefined || value === "-" || isNaN(value)) return "—";
      if (percent) return format.format(value) + "%";
      return unit ? format.format(value) + " " + unit : format.format(value);
    };
  }

  /* The tooltip as DOM nodes: text through textContent, colours through CSSOM. */
  function tooltip(formatValue, language) {
    var colon = language.toLowerCase().indexOf("zh") === 0 ? "：" : ": ";
    return function (items) {
      if (!Array.isArray(items)) items = [items];
      var box = document.createElement("div");
      box.className = "dash-tooltip";
      if (!items.length) return box;
      var heading = document.createElement("div");
      heading.className = "dash-tooltip-heading";
      heading.textContent = items[0].axisValueLabel || items[0].name;
      box.appendChild(heading);
      items.forEach(function (item) {
        var line = document.createElement("div");
        line.className = "dash-tooltip-line";
        var marker = document.createElement("span");
        marker.className = "dash-tooltip-marker";
        marker.style.backgroundColor = typeof item.color === "string" ? item.color : COLOURS[0];
        var name = document.createElement("span");
        name.textContent = item.seriesName + colon;
        var value = document.createElement("strong");
        value.textContent = formatValue(item.value);
        line.appendChild(marker);
        line.appendChild(name);
        line.appendChild(value);
        box.appendChild(line);
      });
      return box;
    };
  }

  /* How the bars stand: upright while every category's name fits under its bar (wrapped on
     two or three lines if need be), lying down (names on the left, one row each, the
     canvas taller when there are many) when they would not, as on a phone with many units. */
  function barLayout(width, categories) {
    var perCategory = (width - 48) / categories.length;
    if (perCategory >= 44) return { lying: false, labelWidth: Math.floor(perCategory - 6) };
    var longest = 0;
    categories.forEach(function (name) { longest = Math.max(longest, name.length); });
    return {
      lying: true,
      labelWidth: Math.min(Math.floor(width * 0.4), longest * 13),
      height: Math.max(280, categories.length * 34 + 80)
    };
  }

  var SERIES_WORDS = {
    zh: { withName: "“{seriesName}”是{seriesType}，", withoutName: "一个系列是{seriesType}，" },
    en: {
      withName: " The series {seriesName} is a {seriesType}.",
      withoutName: " A series is a {seriesType}."
    }
  };

  function options(figure, canvas, data, language) {
    var chinese = language.toLowerCase().indexOf("zh") === 0;
    var kind = figure.getAttribute("data-chart") === "bar" ? "bar" : "line";
    var percent = figure.hasAttribute("data-percent");
    var unit = percent ? "" : (figure.getAttribute("data-unit") || "").trim();
    var formatValue = formatter(language, percent, unit);
    var width = canvas.clientWidth;
    var phone = width < 480;
    var bars = kind === "bar" ? barLayout(width, data.categories) : null;
    var lying = Boolean(bars && bars.lying);
    var font = window.getComputedStyle(document.body).fontFamily;
    var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var valueAxis = {
      type: "value",
      name: unit,
      axisLabel: {
        formatter: function (value) { return percent ? value + "%" : String(value); }
      },
      splitLine: { lineStyle: { color: "#d9e2ec" } }
    };
    if (lying) {
      valueAxis.nameLocation = "middle";
      valueAxis.nameGap = 26;
    } else {
      valueAxis.nameTextStyle = { align: "left" };
    }
    if (percent) {
      valueAxis.min = 0;
      valueAxis.max = 100;
    }
    var categoryAxis = {
      type: "category",
      data: data.categories,
      boundaryGap: kind === "bar",
      axisLabel: { hideOverlap: true }
    };
    if (bars) {
      // Every unit keeps its name: wrapped to the room it has rather than dropped.
      categoryAxis.axisLabel = {
        interval: 0,
        width: bars.labelWidth,
        overflow: "break",
        lineHeight: 14
      };
    }
    if (lying) categoryAxis.inverse = true; // the table's first row on top
    // Through CSSOM, which the policy allows; upright charts keep the stylesheet's height.
    canvas.style.height = lying ? bars.height + "px" : "";
    return {
      animation: !calm,
      color: COLOURS,
      textStyle: { fontFamily: font, color: "#1f2933" },
      // Not shown (the figcaption is the visible title), but ECharts' description starts with it.
      title: { show: false, text: text(figure.querySelector("figcaption")) },
      aria: {
        enabled: true,
        decal: { show: true },
        label: {
          // A year's months in full (ECharts stops at 10 values); beyond 31 it says it is a part.
          // Dimension 0 is the category's index, which ECharts would read out before each value
          // (apache/echarts#20063).
          data: { maxCount: 31, excludeDimensionId: [0] },
          // ECharts numbers the series from 0 in its sentences ("第0个系列"); they are named
          // by their legend instead.
          series: { multiple: SERIES_WORDS[chinese ? "zh" : "en"] }
        }
      },
      legend: { type: "scroll", top: 0, left: 0, itemGap: phone ? 12 : 20 },
      grid: {
        top: unit && !lying ? 60 : 40,
        right: phone ? 12 : 20,
        bottom: unit && lying ? 32 : 8,
        left: phone ? 4 : 8
      },
      tooltip: {
        trigger: "axis",
        confine: true,
        axisPointer: { type: kind === "bar" ? "shadow" : "line" },
        formatter: tooltip(formatValue, language)
      },
      xAxis: lying ? valueAxis : categoryAxis,
      yAxis: lying ? categoryAxis : valueAxis,
      series: data.series.map(function (series, index) {
        var drawn = {
          name: series.name,
          type: kind,
          data: series.values,
          emphasis: { focus: "series" }
        };
        if (kind === "line") {
          drawn.symbol = SYMBOLS[index % SYMBOLS.length];
          drawn.symbolSize = 7;
          drawn.lineStyle = { width: 2, type: LINE_TYPES[index % LINE_TYPES.length] };
        } else {
          drawn.barMaxWidth = 40;
        }
        return drawn;
      })
    };
  }

  function draw(figure) {
    var canvas = figure.querySelector(".dash-chart-canvas");
    var table = figure.querySelector("table");
    if (!canvas || !table) return;
    var data = readTable(table);
    if (!data) return;
    // The stylesheet shows the canvas only in a drawn figure (and never a hidden or is-empty
    // one), so that without JavaScript no empty box stands above the table.
    canvas.hidden = false;
    canvas.classList.remove("is-empty");
    figure.classList.add("is-drawn");
    var language = document.documentElement.lang || "zh-hans";
    var chart;
    try {
      var option = options(figure, canvas, data, language);
      chart = window.echarts.init(canvas, null, {
        locale: language.toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN"
      });
      chart.setOption(option);
    } catch (error) {
      // The table stays the figure; a broken chart must not leave an empty box.
      if (chart) chart.dispose();
      figure.classList.remove("is-drawn");
      canvas.hidden = true;
      canvas.style.height = "";
      if (window.console) window.console.warn("dashboards: chart not drawn", error);
      return;
    }
    // ECharts writes NaN into its description for a missing value; the table's own mark for
    // it (its text, "—" in the contract) reads better. The description is written again on
    // every render (a resize too), not always before "finished" fires: an observer of the
    // attribute tidies each new one (setting it again changes no NaN, so it stops there).
    var blank = table.querySelector('td[data-value=""]');
    var mark = (blank && text(blank)) || "—";
    function tidyDescription() {
      var description = canvas.getAttribute("aria-label");
      if (description && description.indexOf("NaN") !== -1) {
        canvas.setAttribute("aria-label", description.replace(/\bNaN\b/g, mark));
      }
    }
    tidyDescription();
    new MutationObserver(tidyDescription).observe(canvas, {
      attributes: true,
      attributeFilter: ["aria-label"]
    });
    charts.push({
      chart: chart, figure: figure, canvas: canvas, data: data, language: language,
      width: canvas.clientWidth
    });
    var details = figure.querySelector("details.dash-chart-data");
    if (details) details.open = false;
  }

  function start() {
    if (!window.echarts) return;
    var figures = document.querySelectorAll("figure.dash-chart");
    for (var i = 0; i < figures.length; i++) draw(figures[i]);
    if (!charts.length) return;
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        // A turned phone may stand bars up or lay them down: the options are worked out again.
        charts.forEach(function (drawn) {
          if (drawn.canvas.clientWidth === drawn.width) return;
          drawn.width = drawn.canvas.clientWidth;
          var option = options(drawn.figure, drawn.canvas, drawn.data, drawn.language);
          option.animation = false;
          drawn.chart.resize();
          drawn.chart.setOption(option, { notMerge: true });
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
