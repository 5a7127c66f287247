// A page's own stylesheet, added to <head> once (pages/<name>.css).
export function pageCss(name) {
  if (document.querySelector(`link[data-page-css="${name}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = `/static/pages/${name}.css`;
  link.dataset.pageCss = name;
  document.head.append(link);
}
