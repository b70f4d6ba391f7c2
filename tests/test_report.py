"""The HTML report of a real score: every section, inline images that decode, stills of the right shots,
and the page loaded in headless Chromium with no errors."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fc_backend.report import report

SECTIONS = ("summary", "shots", "motion", "melody", "assessment", "scheme", "decisions", "picture", "audio")
#: plots besides one still per shot: motion, assessment, envelopes, loudness
PLOTS = 4
DATA_URI = re.compile(r'<img class="(\w+)" alt="([^"]*)" src="data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def written(scored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html written into a copy of the scored folder (the session's folder stays as score left it)."""
    out = tmp_path_factory.mktemp("report") / "out"
    shutil.copytree(scored.out_dir, out, ignore=shutil.ignore_patterns("stems"))
    return report(out)


def inline_images(html: str) -> list[tuple[str, str, Image.Image]]:
    return [(css, alt, Image.open(io.BytesIO(base64.b64decode(data)))) for css, alt, _mime, data in
            DATA_URI.findall(html)]


def test_report_has_every_section_and_nothing_external(written: Path, scored) -> None:
    html = written.read_text(encoding="utf-8")
    assert written.name == "report.html" and written.parent.name == "out"
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page must open with no network"
    assert '<audio controls preload="metadata" src="master.wav">' in html
    melody = html[html.index('<section id="melody">'):html.index('<section id="assessment">')]
    assert "<svg" in melody and "<?xml" not in html
    for criterion in scored.assessment.criteria:  # every criterion with its reason
        assert escape(criterion.reason) in html
    for track in scored.scheme.tracks:
        assert f"<td>{track.instrument}</td>" in html


def test_inline_images_decode_one_still_per_shot(written: Path, scored) -> None:
    images = inline_images(written.read_text(encoding="utf-8"))
    stills = [im for css, _alt, im in images if css == "thumb"]
    plots = [im for css, _alt, im in images if css == "plot"]
    assert len(stills) == len(scored.spotting.shots) and len(plots) == PLOTS
    for im in stills + plots:
        im.load()  # raises on truncated or corrupt data
        assert im.width > 100 and im.height > 50
        assert np.asarray(im.convert("L")).std() > 5, "an image with nothing on it"


def assert_each_still_shows_its_own_shot(html: str, scored, clip) -> None:
    """A still matches a frame of its shot better than a frame of any other shot."""
    stills = [np.asarray(im.convert("RGB"), dtype=float)
              for css, _a, im in inline_images(html) if css == "thumb"]
    assert len(stills) == len(scored.spotting.shots)
    capture = cv2.VideoCapture(str(clip[0]))
    mids = []
    for shot in scored.spotting.shots:
        at = shot.start + min(shot.duration / 2, 1.0)  # where the still is taken
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(at * scored.spotting.fps))
        ok, frame = capture.read()
        assert ok
        h, w = stills[0].shape[:2]
        mids.append(cv2.cvtColor(cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    capture.release()
    for i, still in enumerate(stills):
        distances = [float(np.abs(still - frame).mean()) for frame in mids]
        nearest = int(np.argmin(distances))
        assert nearest == i, f"still {i + 1} looks like shot {nearest + 1}"


def test_the_stills_spot_kept_show_their_own_shots(written: Path, scored, clip) -> None:
    assert sorted(p.name for p in (written.parent / "stills").iterdir()) == [
        f"shot_{n:03d}.jpg" for n in range(1, len(scored.spotting.shots) + 1)]
    html = written.read_text(encoding="utf-8")
    assert "Stills taken while spotting" in html
    assert_each_still_shows_its_own_shot(html, scored, clip)


def test_without_spotted_stills_the_report_takes_them_from_the_clip(written: Path, scored, clip,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(written.parent, out, ignore=shutil.ignore_patterns("stills"))
    html = report(out, video=clip[0]).read_text(encoding="utf-8")
    assert f"Stills from {clip[0].name}" in html
    assert_each_still_shows_its_own_shot(html, scored, clip)


def test_spotted_stills_need_no_clip(written: Path, scored, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(written.parent, out)
    html = report(out, video=tmp_path / "gone.mp4").read_text(encoding="utf-8")
    assert [css for css, _a, _i in inline_images(html)].count("thumb") == len(scored.spotting.shots)


def test_report_without_the_clip_or_stills_says_so(written: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(written.parent, out, ignore=shutil.ignore_patterns("stills"))
    html = report(out, video=tmp_path / "gone.mp4").read_text(encoding="utf-8")
    assert "was not found, so there are no stills" in html
    assert [css for css, _a, _i in inline_images(html)] == ["plot"] * PLOTS


# ------------------------------------------------------------------------------------ in a browser

#: injected into a copy of the page: collects load errors and console errors from the very start
PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener('error', e => {
  const t = e.target;
  window.__errors.push(t && t !== window ? `${t.tagName} failed to load` : String(e.message));
}, true);
const __consoleError = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); __consoleError(...args); };
</script>"""
#: ...and at the end, decodes every image, waits for the player's metadata and writes what it saw
PROBE_TAIL = """<script>
(async () => {
  const images = [...document.images];
  const decoded = await Promise.all(images.map(i => i.decode().then(() => true, () => false)));
  const audio = document.querySelector('audio');
  if (audio && audio.readyState < 1 && !audio.error) {
    await new Promise(done => { audio.addEventListener('loadedmetadata', done);
                                audio.addEventListener('error', done); setTimeout(done, 3000); });
  }
  const svg = document.querySelector('#melody svg');
  const box = svg ? svg.getBoundingClientRect() : null;
  const result = {
    errors: window.__errors,
    images: images.map((i, k) => ({width: i.naturalWidth, height: i.naturalHeight, decoded: decoded[k]})),
    svg: box ? [box.width, box.height] : null,
    audio: audio ? {duration: audio.duration, error: audio.error && audio.error.code} : null,
    sections: [...document.querySelectorAll('section')].map(s => s.id),
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
})();
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync",
         f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def browse(page: Path, profile: Path) -> dict:
    """What the probe saw when Chromium loaded a copy of `page` (kept beside it, so master.wav resolves)."""
    html = page.read_text(encoding="utf-8")
    probe = page.parent / ".probe.html"
    html = html.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1)
    probe.write_text(html, encoding="utf-8")
    try:
        for _attempt in range(3):  # a loaded machine can dump the DOM before the probe's promises settle
            done = chromium("--virtual-time-budget=30000", "--dump-dom", probe.as_uri(), profile=profile)
            found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
            if found:
                break
    finally:
        probe.unlink()
    assert found, f"the probe did not finish (chromium exited {done.returncode}): {done.stderr[-600:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian's chromium is not installed (apt-get install chromium)")


@needs_chromium
def test_chromium_loads_the_page_with_no_errors_and_every_image_decodes(written: Path, scored,
                                                                        tmp_path: Path) -> None:
    seen = browse(written, tmp_path / "profile")
    assert seen["errors"] == []
    assert seen["sections"] == list(SECTIONS)
    assert len(seen["images"]) == len(scored.spotting.shots) + PLOTS
    assert all(i["decoded"] and i["width"] > 0 and i["height"] > 0 for i in seen["images"]), seen["images"]
    assert seen["svg"] and seen["svg"][0] > 200 and seen["svg"][1] > 50, "the engraved melody did not render"
    import soundfile as sf

    assert seen["audio"]["error"] is None
    master = sf.info(str(written.parent / "master.wav"))
    assert seen["audio"]["duration"] == pytest.approx(master.duration, abs=0.05)

    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1280,4000", written.as_uri(),
                    profile=tmp_path / "p2")
    assert shot.is_file(), done.stderr[-600:]
    with Image.open(shot) as im:
        assert im.size == (1280, 4000)
        pixels = np.asarray(im.convert("L"))
    assert pixels.std() > 20 and (pixels < 100).mean() > 0.01, "the screenshot shows an empty page"


@needs_chromium
def test_the_browser_probe_catches_a_broken_image_and_a_missing_master(written: Path, tmp_path: Path) -> None:
    """The check above can fail: a truncated image and a missing master.wav are both reported."""
    broken = tmp_path / "out"
    broken.mkdir()
    html = written.read_text(encoding="utf-8")
    start = html.index("base64,") + len("base64,")
    (broken / "report.html").write_text(html[:start] + html[start + 4000:], encoding="utf-8")
    seen = browse(broken / "report.html", tmp_path / "profile")
    assert not all(i["decoded"] for i in seen["images"])
    assert any("AUDIO" in e or "SOURCE" in e for e in seen["errors"]) or seen["audio"]["error"] is not None
    assert seen["errors"], "a missing master and a broken image raised no error"


def test_the_page_score_drew_beside_realize_is_the_page_report_draws(written: Path, scored) -> None:
    """score draws the plots while the master renders; the page is the same as drawing it afterwards."""
    assert (scored.out_dir / "report.html").read_text(encoding="utf-8") == written.read_text(encoding="utf-8")
