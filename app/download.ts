// Downloads from inside the embedded app. A plain link would reach the server
// without a session token (App Bridge adds it to the app's own fetches, not to
// navigations), so the file is fetched, then handed to the browser to save.
export async function downloadFile(url: string, fileName: string, init?: RequestInit): Promise<void> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`Download failed (${res.status})`);
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = href;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
