/* The appearances page: a video whose draft is not ready (or is gone) shows a note instead
   of an empty player. The video's address answers 404 until the render is ready. */
(() => {
  "use strict";
  const unavailable = (video) => {
    const note = video.parentElement.querySelector("[data-appearance-placeholder]");
    if (!note) return;
    video.hidden = true;
    note.hidden = false;
  };
  document.querySelectorAll("video[data-appearance-video]").forEach((video) => {
    if (video.error) unavailable(video);
    video.addEventListener("error", () => unavailable(video));
  });
})();
