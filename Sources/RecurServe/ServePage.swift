/// `GET /`: one self-contained page (no external scripts or fonts: it works offline and behind a firewall).
/// Texts go one per line to `POST /v1/predict`; each answer shows its label and a bar per class probability,
/// then its words coloured by `POST /v1/explain` (integrated gradients: green raised the predicted class, red
/// lowered it). Element ids (`texts`, `model`, `predict`, `results`, `status`) and classes (`result`, `words`,
/// `word`) are what `scripts/check_serve_page.py` drives.
enum ServePage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>recur serve</title>
    <style>
      body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
      main { max-width: 860px; margin: 0 auto; padding: 24px; }
      h1 { font-size: 20px; margin: 0 0 4px; }
      .sub { color: #5b6474; margin: 0 0 16px; }
      textarea { width: 100%; box-sizing: border-box; min-height: 120px; padding: 10px; font: inherit;
                 border: 1px solid #c8cdd6; border-radius: 6px; background: #fff; }
      .row { display: flex; gap: 12px; align-items: center; margin: 10px 0 18px; }
      button { font: inherit; padding: 7px 18px; border: 0; border-radius: 6px; background: #2f6fde; color: #fff; cursor: pointer; }
      button:disabled { background: #8aa6d8; }
      select { font: inherit; padding: 5px; }
      #status { color: #5b6474; }
      #status.error { color: #b3261e; }
      .card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 12px 14px; margin-bottom: 10px; }
      .text { margin-bottom: 8px; white-space: pre-wrap; word-break: break-word; }
      .label { font-weight: 600; }
      .bars { display: grid; grid-template-columns: max-content 1fr 4.5em; gap: 4px 10px; align-items: center; font-size: 13px; }
      .track { background: #eceff3; border-radius: 3px; height: 10px; }
      .fill { background: #2f6fde; border-radius: 3px; height: 10px; }
      .top .fill { background: #1e9e5a; }
      .meta { color: #5b6474; font-size: 12px; margin-top: 6px; }
      .words { margin: 8px 0 2px; line-height: 1.9; }
      .word { border-radius: 3px; padding: 1px 2px; }
    </style>
    </head>
    <body>
    <main>
      <h1>recur serve</h1>
      <p class="sub">Type or paste texts, one per line, and press Predict (or Ctrl+Enter).</p>
      <textarea id="texts" placeholder="a gorgeous, witty, seductive movie."></textarea>
      <div class="row">
        <button id="predict">Predict</button>
        <label>model <select id="model"></select></label>
        <span id="status"></span>
      </div>
      <div id="results"></div>
    </main>
    <script>
    const $ = (id) => document.getElementById(id);
    const status = (text, isError) => { $("status").textContent = text; $("status").className = isError ? "error" : ""; };
    function element(tag, className, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    }
    async function loadModels() {
      try {
        const answer = await (await fetch("v1/models")).json();
        for (const model of answer.models) {
          const option = element("option", "", model.name + " (" + model.labels.join(" / ") + ")");
          option.value = model.name;
          $("model").appendChild(option);
        }
      } catch (error) { status("cannot list models: " + error, true); }
    }
    function show(texts, answer) {
      const results = $("results");
      results.replaceChildren();
      answer.predictions.forEach((prediction, index) => {
        const card = element("div", "card result");
        card.appendChild(element("div", "text", texts[index]));
        const head = element("div");
        head.appendChild(element("span", "label", prediction.label));
        card.appendChild(head);
        const bars = element("div", "bars");
        const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
        for (const [label, probability] of entries) {
          const top = label === prediction.label ? " top" : "";
          bars.appendChild(element("span", "class" + top, label));
          const track = element("div", "track" + top);
          const fill = element("div", "fill");
          fill.style.width = (100 * probability).toFixed(1) + "%";
          track.appendChild(fill);
          bars.appendChild(track);
          bars.appendChild(element("span", "probability" + top, probability.toFixed(3)));
        }
        card.appendChild(bars);
        card.appendChild(element("div", "meta", prediction.tokens_read + " tokens read of " + prediction.tokens));
        results.appendChild(card);
      });
    }
    function colour(relative) {
      const alpha = (Math.min(1, Math.abs(relative)) * 0.8).toFixed(2);
      return relative >= 0 ? "rgba(0,160,60," + alpha + ")" : "rgba(220,30,30," + alpha + ")";
    }
    function showWords(answer) {
      const cards = document.querySelectorAll("#results .result");
      answer.explanations.forEach((explained, index) => {
        const words = element("div", "words");
        const scale = Math.max(1e-12, ...explained.scores.map(Math.abs));
        explained.words.forEach((word, i) => {
          if (i > 0 && !explained.joins_previous[i]) words.appendChild(document.createTextNode(" "));
          const span = element("span", "word", word);
          span.style.background = colour(explained.scores[i] / scale);
          span.title = (explained.scores[i] >= 0 ? "+" : "") + explained.scores[i].toFixed(4) + " for " + explained.label;
          span.dataset.score = explained.scores[i];
          words.appendChild(span);
        });
        cards[index].insertBefore(words, cards[index].querySelector(".bars"));
        cards[index].querySelector(".meta").textContent +=
          " · green words raised " + explained.label + ", red ones lowered it";
      });
    }
    async function predict() {
      const texts = $("texts").value.split("\n").filter((line) => line.trim() !== "");
      if (texts.length === 0) { status("type a text first", true); return; }
      $("predict").disabled = true;
      status("predicting…");
      try {
        const response = await fetch("v1/predict", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ texts: texts, model: $("model").value || undefined }),
        });
        const answer = await response.json();
        if (!response.ok) { status(answer.error ? answer.error.message : response.statusText, true); return; }
        show(texts, answer);
        const done = texts.length + (texts.length === 1 ? " text" : " texts") + " · model " + answer.model;
        if (texts.length > 32) { status(done); return; }
        status(done + " · explaining…");
        const explainResponse = await fetch("v1/explain", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ texts: texts, model: answer.model }),
        });
        const explained = await explainResponse.json();
        if (!explainResponse.ok) { status(explained.error ? explained.error.message : explainResponse.statusText, true); return; }
        showWords(explained);
        status(done + " · words coloured by integrated gradients");
      } catch (error) {
        status("request failed: " + error, true);
      } finally {
        $("predict").disabled = false;
      }
    }
    $("predict").addEventListener("click", predict);
    $("texts").addEventListener("keydown", (event) => { if (event.key === "Enter" && event.ctrlKey) predict(); });
    loadModels();
    </script>
    </body>
    </html>
    """#
}
