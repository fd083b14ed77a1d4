// The same slice by hand, no library: Promise.all, one AbortController per task linked to the
// parent through a registry (one listener + a Set), and a deadline per fetch.
export async function fetchAll(urls, ms) {
  const parent = new AbortController();
  const children = new Set();
  const onAbort = () => {
    for (const child of children) child.abort(parent.signal.reason);
  };
  parent.signal.addEventListener("abort", onAbort);
  try {
    return await Promise.all(
      urls.map(async (url) => {
        const controller = new AbortController();
        children.add(controller);
        const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
        try {
          return await (await fetch(url, { signal: controller.signal })).text();
        } catch (error) {
          parent.abort(error);
          throw error;
        } finally {
          clearTimeout(timer);
          children.delete(controller);
        }
      }),
    );
  } finally {
    parent.signal.removeEventListener("abort", onAbort);
  }
}
