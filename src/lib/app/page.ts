/** The prediction page: one self-contained HTML document (no external assets). */
export function predictionPage(opts: { maxBytes: number }): string {
  const maxMb = (opts.maxBytes / 1e6).toFixed(0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pneumo-lab · predict</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#222}
.notice{background:#fff3cd;border:1px solid #e0b800;padding:.6em 1em;border-radius:6px;font-weight:bold}
#drop{border:2px dashed #888;border-radius:10px;padding:2em;text-align:center;margin:1em 0;cursor:pointer}
#drop.over{background:#eef}
.verdict{font-size:1.6em;font-weight:bold;padding:.3em .6em;border-radius:6px;display:inline-block;color:#fff}
.verdict.PNEUMONIA{background:#c62828}.verdict.NORMAL{background:#2e7d32}
.bar{height:22px;background:#ddd;border-radius:4px;position:relative;margin:.5em 0}
.bar>div{height:100%;border-radius:4px;background:linear-gradient(90deg,#2e7d32,#c62828)}
.bar>span{position:absolute;top:-4px;bottom:-4px;width:2px;background:#000}
#error{color:#b00020;font-weight:bold}.note{color:#555;font-size:.9em}
.images{display:flex;gap:1em;flex-wrap:wrap}.images figure{margin:0}.images img{max-width:380px;border:1px solid #ccc}
</style></head><body>
<h1>pneumo-lab: chest X-ray pneumonia prediction</h1>
<p class="notice" id="notice">Research use only, not a medical device. Do not use for diagnosis or treatment decisions.</p>
<p id="model">Loading model information…</p>
<div id="drop">Drop a chest X-ray here (JPEG or PNG, up to ${maxMb} MB), or click to pick a file.
<input type="file" id="file" accept="image/jpeg,image/png" hidden></div>
<p id="error" role="alert"></p>
<section id="result" hidden>
<p><span id="verdict" class="verdict"></span></p>
<p>Probability of pneumonia: <b id="prob"></b> (threshold <b id="thr"></b>)</p>
<p>Decision: <b id="decision"></b></p>
<p class="note">The label is PNEUMONIA when the probability of pneumonia is at or above the threshold, NORMAL below it.
The threshold is the run's own (Youden's J on its validation set, or 0.5 before <code>npm run evaluate</code>).</p>
<div class="bar" aria-label="confidence"><div id="barfill"></div><span id="barthr"></span></div>
<div class="images"><figure><img id="input" alt="uploaded X-ray"><figcaption>Uploaded image</figcaption></figure>
<figure><img id="overlay" alt="Grad-CAM overlay"><figcaption id="camcaption">Grad-CAM: where the model looked</figcaption></figure></div>
</section>
<script>
const $ = (id) => document.getElementById(id);
fetch("/api/info").then((r) => r.json()).then((i) => {
  $("model").textContent = "Model: " + i.model + " · run " + i.run + " · input " + i.inputSize + " px · backend " +
    i.backend + " · threshold " + (100 * i.threshold).toFixed(1) + " %";
});
async function send(file) {
  $("error").textContent = ""; $("result").hidden = true;
  $("input").src = URL.createObjectURL(file);
  const res = await fetch("/api/predict?name=" + encodeURIComponent(file.name), { method: "POST", body: file, headers: { "content-type": file.type || "application/octet-stream" } });
  const body = await res.json().catch(() => ({ error: "The server sent an unreadable answer (HTTP " + res.status + ")." }));
  if (!res.ok) { $("error").textContent = body.error || ("HTTP " + res.status); return; }
  $("verdict").textContent = body.label; $("verdict").className = "verdict " + body.label;
  $("prob").textContent = (100 * body.probability).toFixed(1) + " %";
  $("thr").textContent = (100 * body.threshold).toFixed(1) + " %";
  $("decision").textContent = body.decision;
  $("barfill").style.width = (100 * body.probability) + "%"; $("barthr").style.left = (100 * body.threshold) + "%";
  $("overlay").src = body.overlay || "";
  $("camcaption").textContent = body.gradcamEmpty ? "Grad-CAM is empty: no region of this image raised the score" : "Grad-CAM: where the model looked";
  $("result").hidden = false;
}
$("drop").onclick = () => $("file").click();
$("file").onchange = (e) => e.target.files[0] && send(e.target.files[0]);
$("drop").ondragover = (e) => { e.preventDefault(); $("drop").classList.add("over"); };
$("drop").ondragleave = () => $("drop").classList.remove("over");
$("drop").ondrop = (e) => { e.preventDefault(); $("drop").classList.remove("over"); if (e.dataTransfer.files[0]) send(e.dataTransfer.files[0]); };
</script></body></html>`;
}
