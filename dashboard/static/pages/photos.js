// Photos leave the browser small: a phone photo (3–8 MB, 4000 px) is scaled to at most
// MAX_SIDE pixels and re-encoded as JPEG before upload, so it fits the API's body limit
// (1 MiB by default), uploads quickly over a station's link, and is stored no larger than a
// portrait needs. The orientation in the photo's EXIF is applied first; the EXIF (GPS, camera
// serial) is not carried over. A face of a portrait stays far above the 80 px the gate needs.

export const MAX_SIDE = 1280;

export async function shrinkPhoto(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("photo could not be encoded"))), "image/jpeg", 0.9);
  });
}

export function toBase64(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(",")[1]);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

// A photo as the face routes take it: shrunk, then base64.
export async function photoB64(file) {
  return toBase64(await shrinkPhoto(file));
}
