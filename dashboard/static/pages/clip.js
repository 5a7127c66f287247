// Plays a camera clip in the page. Clips are MJPG in AVI (devices/camera/media.py), which no
// browser's <video> plays; but each frame is a whole JPEG in the AVI's "00dc" chunks, so the
// page reads them out of the downloaded file and shows them one by one at the clip's frame rate
// (from the AVI header) in an <img>, with play/pause and a position slider. The file is
// fetched once (the gateway audits the view); nothing is cached by URL.

function u32(view, at) {
  return view.getUint32(at, true);
}

// {fps, frames: [Blob…]} of an MJPG AVI; throws on anything else.
export function parseAvi(buffer) {
  const view = new DataView(buffer);
  const tag = (at) => String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
  if (buffer.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "AVI ") throw new Error("not an AVI file");
  let fps = 5;
  const frames = [];
  const walk = (start, end) => {
    let at = start;
    while (at + 8 <= end) {
      const id = tag(at);
      const size = u32(view, at + 4);
      const body = at + 8;
      if (body + size > buffer.byteLength) break; // a truncated clip: keep what is whole
      if (id === "LIST") walk(body + 4, body + size);
      else if (id === "avih" && size >= 4) {
        const usPerFrame = u32(view, body);
        if (usPerFrame > 0) fps = 1e6 / usPerFrame;
      } else if (/^\d\d(dc|db)$/.test(id) && size > 0) {
        frames.push(new Blob([new Uint8Array(buffer, body, size)], { type: "image/jpeg" }));
      }
      at = body + size + (size % 2); // chunks are word-aligned
    }
  };
  walk(12, buffer.byteLength);
  if (!frames.length) throw new Error("no frames in the clip");
  return { fps: Math.min(60, Math.max(0.5, fps)), frames };
}

// A player element for `clip` ({fps, frames}); `t` translates the labels.
export function clipPlayer(h, t, clip) {
  const urls = clip.frames.map((b) => URL.createObjectURL(b));
  const img = h("img", { class: "cam-clip", alt: t("cameras.clip"), dataset: { testid: "clip-frame", frame: "0" }, src: urls[0] });
  const pos = h("input", { type: "range", min: "0", max: String(urls.length - 1), value: "0", "aria-label": t("cameras.clip_position"), dataset: { testid: "clip-position" } });
  const time = h("span", { class: "small", dataset: { testid: "clip-time" } });
  let i = 0;
  let timer = null;
  const show = (n) => {
    i = n;
    img.src = urls[i];
    img.dataset.frame = String(i);
    pos.value = String(i);
    time.textContent = `${(i / clip.fps).toFixed(1)} / ${(urls.length / clip.fps).toFixed(1)} s`;
  };
  const stop = () => { clearInterval(timer); timer = null; play.textContent = t("cameras.play"); play.dataset.playing = ""; };
  const start = () => {
    if (i >= urls.length - 1) show(0);
    timer = setInterval(() => (i >= urls.length - 1 ? stop() : show(i + 1)), 1000 / clip.fps);
    play.textContent = t("cameras.pause");
    play.dataset.playing = "1";
  };
  const play = h("button", { class: "btn small", dataset: { testid: "clip-play" }, onclick: () => (timer ? stop() : start()) }, t("cameras.play"));
  pos.addEventListener("input", () => { stop(); show(Number(pos.value)); });
  show(0);
  const box = h("div", { class: "cam-player", dataset: { testid: "clip-player", frames: String(urls.length), fps: clip.fps.toFixed(2) } },
    img, h("div", { class: "toolbar" }, play, pos, time));
  box.dispose = () => { stop(); urls.forEach((u) => URL.revokeObjectURL(u)); };
  start();
  return box;
}
