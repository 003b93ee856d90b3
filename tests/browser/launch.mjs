// launch.mjs -- start headless Chromium for the browser drivers, once more if the first start
// times out (a start stalled by the machine, not by the code under test: seen once in a full run).
export async function launchChromium(chromium, opts, note) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await chromium.launch(opts);
    } catch (e) {
      if (attempt >= 2 || e.name !== 'TimeoutError') throw e;
      note(`chromium did not start within ${opts.timeout} ms; starting it once more`);
    }
  }
}
