/* Reel: the vertical player, likes, comments, follows and sharing, on top of the REST API. */
(() => {
  "use strict";

  const doc = document;
  const body = doc.body;
  const lang = doc.documentElement.lang || "en";
  const gettext = typeof window.gettext === "function" ? window.gettext : (text) => text;
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const csrfToken = doc.querySelector('meta[name="csrf-token"]')?.content || "";
  const isAuthenticated = body.dataset.auth === "1";
  const myHandle = (body.dataset.handle || "").toLowerCase();
  const apiRoot = body.dataset.api || "/api/v1/";
  const scrollBehavior = reducedMotion ? "auto" : "smooth";

  /* ---------- Small helpers ---------- */

  const compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  const formatCount = (value) => compact.format(Math.max(0, Number(value) || 0));

  const relative = "RelativeTimeFormat" in Intl
    ? new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" })
    : null;
  const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function timeAgo(date) {
    if (Number.isNaN(date.getTime())) return "";
    if (!relative) return date.toLocaleDateString(lang);
    const seconds = (date.getTime() - Date.now()) / 1000;
    for (const [unit, size] of UNITS) {
      if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
    }
    return relative.format(0, "second");
  }

  function hueFor(seed) {
    let hue = 0;
    for (const char of seed) hue = (hue * 31 + char.codePointAt(0)) % 360;
    return hue;
  }

  function makeAvatar(author, size) {
    if (author.avatar_url) {
      const img = doc.createElement("img");
      img.className = `avatar avatar--${size}`;
      img.src = author.avatar_url;
      img.alt = "";
      img.width = 96;
      img.height = 96;
      img.loading = "lazy";
      img.decoding = "async";
      return img;
    }
    const span = doc.createElement("span");
    span.className = `avatar avatar--${size} avatar--initial`;
    span.setAttribute("aria-hidden", "true");
    const name = author.display_name || author.handle || "?";
    span.textContent = Array.from(name)[0].toUpperCase();
    span.style.setProperty("--hue", hueFor(author.handle || name));
    return span;
  }

  function setCount(element, value) {
    if (!element) return;
    element.dataset.count = String(value);
    element.textContent = formatCount(value);
  }

  class ApiError extends Error {
    constructor(message, status, payload) {
      super(message);
      this.status = status;
      this.payload = payload;
    }

    get code() {
      return this.payload?.error?.code || "";
    }

    get needsLogin() {
      return this.status === 401 || this.code === "not_authenticated";
    }
  }

  async function api(path, { method = "GET", data } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
    if (data !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(apiRoot + path, {
        method,
        headers,
        credentials: "same-origin",
        body: data === undefined ? undefined : JSON.stringify(data),
      });
    } catch {
      throw new ApiError(gettext("You seem to be offline. Check your connection and try again."), 0, null);
    }
    let payload = null;
    if (response.status !== 204) {
      try {
        payload = await response.json();
      } catch {
        payload = null;
      }
    }
    if (!response.ok) {
      let message = payload?.error?.message;
      if (response.status === 429) message = gettext("Slow down a little, then try again.");
      throw new ApiError(message || gettext("Something went wrong. Please try again."), response.status, payload);
    }
    return payload;
  }

  /* ---------- Toasts and dialogs ---------- */

  const toastRegion = doc.getElementById("toasts");

  function dismissLater(element, delay) {
    window.setTimeout(() => {
      element.classList.add("is-leaving");
      window.setTimeout(() => element.remove(), 250);
    }, delay);
  }

  function toast(message, kind = "info") {
    if (!toastRegion) return;
    const element = doc.createElement("div");
    element.className = `toast toast--${kind}`;
    element.textContent = message;
    toastRegion.append(element);
    dismissLater(element, 3500);
  }

  function openDialog(dialog, opener) {
    if (!dialog || dialog.open) return;
    dialog.returnFocusTo = opener || doc.activeElement;
    dialog.showModal();
  }

  doc.addEventListener("close", (event) => {
    const dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.returnFocusTo?.isConnected) {
      dialog.returnFocusTo.focus({ preventScroll: true });
    }
  }, true);

  doc.addEventListener("click", (event) => {
    const target = event.target;
    if (target instanceof HTMLDialogElement && target.open) {
      target.close();
      return;
    }
    const closer = target.closest?.("[data-close]");
    if (closer) closer.closest("dialog")?.close();
  });

  const loginDialog = doc.getElementById("login-prompt");

  function promptLogin(message) {
    if (!loginDialog) {
      window.location.href = body.dataset.loginUrl;
      return;
    }
    loginDialog.querySelector("[data-login-message]").textContent = message;
    openDialog(loginDialog);
    loginDialog.querySelector("[data-login-link]")?.focus();
  }

  function reportError(error, loginMessage) {
    if (error instanceof ApiError && error.needsLogin) promptLogin(loginMessage);
    else toast(error.message, "error");
  }

  /* ---------- Menus and shortcuts ---------- */

  const shortcutsDialog = doc.getElementById("shortcuts");

  function closeMenus(except) {
    for (const menu of doc.querySelectorAll("details[data-menu][open]")) {
      if (menu !== except) menu.open = false;
    }
  }

  doc.addEventListener("click", (event) => {
    const menu = event.target.closest?.("details[data-menu]");
    closeMenus(menu);
    const opener = event.target.closest?.("[data-open-shortcuts]");
    if (opener) {
      closeMenus();
      openDialog(shortcutsDialog, menu?.querySelector("summary"));
    }
  });

  doc.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const menu = doc.querySelector("details[data-menu][open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  /* ---------- Follows ---------- */

  const followedData = doc.getElementById("followed-handles");
  const followed = new Set(
    (followedData ? JSON.parse(followedData.textContent) : []).map((handle) => handle.toLowerCase()),
  );
  const pending = new WeakSet();

  function isFollowing(button) {
    return button.getAttribute("aria-pressed") === "true" || button.classList.contains("is-following");
  }

  function setFollowState(button, following) {
    if (button.hasAttribute("aria-pressed")) {
      button.setAttribute("aria-pressed", String(following));
      return;
    }
    button.classList.toggle("is-following", following);
    button.textContent = following ? button.dataset.labelOn : button.dataset.labelOff;
    button.value = following ? "unfollow" : "follow";
  }

  function showFollow(handle, following, followerCount) {
    const key = handle.toLowerCase();
    if (following) followed.add(key);
    else followed.delete(key);
    for (const button of doc.querySelectorAll("[data-follow-button]")) {
      if ((button.dataset.handle || "").toLowerCase() === key) setFollowState(button, following);
    }
    if (followerCount === undefined || followerCount === null) return;
    for (const element of doc.querySelectorAll("[data-follower-count]")) {
      if (element.dataset.followerCount.toLowerCase() === key) element.textContent = String(followerCount);
    }
  }

  async function toggleFollow(button) {
    if (!isAuthenticated) {
      promptLogin(gettext("Log in to follow people and see their videos in Following."));
      return;
    }
    if (pending.has(button)) return;
    const handle = button.dataset.handle;
    const was = isFollowing(button);
    pending.add(button);
    showFollow(handle, !was);
    try {
      const state = await api(`users/${encodeURIComponent(handle)}/follow/`, { method: was ? "DELETE" : "POST" });
      showFollow(handle, state.following, state.follower_count);
      if (state.following && button.hasAttribute("aria-pressed")) {
        toast(fill(gettext("You follow @%(handle)s."), { handle }), "success");
      }
    } catch (error) {
      showFollow(handle, was);
      reportError(error, gettext("Log in to follow people and see their videos in Following."));
    } finally {
      pending.delete(button);
    }
  }

  doc.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-follow-form]")) {
      event.preventDefault();
      toggleFollow(form.querySelector("[data-follow-button]"));
    } else if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  /* ---------- Likes and sharing ---------- */

  function showLike(slide, liked, count) {
    const button = slide.querySelector('[data-el="like"]');
    button.setAttribute("aria-pressed", String(liked));
    setCount(slide.querySelector('[data-el="like-count"]'), count);
  }

  async function toggleLike(slide) {
    if (!isAuthenticated) {
      promptLogin(gettext("Log in to like videos."));
      return;
    }
    const button = slide.querySelector('[data-el="like"]');
    if (!button || pending.has(button)) return;
    const countElement = slide.querySelector('[data-el="like-count"]');
    const was = button.getAttribute("aria-pressed") === "true";
    const before = Number(countElement.dataset.count) || 0;
    pending.add(button);
    showLike(slide, !was, before + (was ? -1 : 1));
    if (!was) {
      button.classList.remove("is-popping");
      void button.offsetWidth;
      button.classList.add("is-popping");
    }
    try {
      const state = await api(`posts/${slide.dataset.postId}/like/`, { method: was ? "DELETE" : "POST" });
      showLike(slide, state.liked, state.like_count);
    } catch (error) {
      showLike(slide, was, before);
      reportError(error, gettext("Log in to like videos."));
    } finally {
      pending.delete(button);
    }
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = doc.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      body.append(area);
      area.select();
      let copied = false;
      try {
        copied = doc.execCommand("copy");
      } catch {
        copied = false;
      }
      area.remove();
      return copied;
    }
  }

  async function share(slide) {
    const url = new URL(slide.dataset.shareUrl || slide.dataset.url, window.location.href).href;
    if (navigator.share) {
      try {
        await navigator.share({ title: slide.dataset.caption || "Reel", url });
        return;
      } catch (error) {
        if (error.name === "AbortError") return;
      }
    }
    if (await copyText(url)) toast(gettext("Link copied to the clipboard."), "success");
    else toast(url);
  }

  /* ---------- Comments ---------- */

  function commentsPanel(section, onCount = null) {
    const list = section.querySelector("[data-comments-list]");
    const empty = section.querySelector("[data-comments-empty]");
    const loading = section.querySelector("[data-comments-loading]");
    const more = section.querySelector("[data-comments-more]");
    const countElement = section.querySelector("[data-comments-count]");
    const form = section.querySelector("[data-comment-form]");
    const input = form?.querySelector("textarea");
    const submit = form?.querySelector('[type="submit"]');
    const errorBox = section.querySelector("[data-comment-error]");
    const template = doc.getElementById("comment-template");
    const state = {
      postId: section.dataset.postId,
      next: section.dataset.next || null,
      count: Number(countElement?.textContent) || 0,
      onCount,
      generation: 0,
    };
    const seen = new Set(Array.from(list.querySelectorAll("[data-comment]"), (item) => item.dataset.commentId));

    function showCount(value) {
      state.count = Math.max(0, value);
      if (countElement) countElement.textContent = formatCount(state.count);
      state.onCount?.(state.count);
    }

    function showError(message) {
      if (!errorBox) return;
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }

    function build(comment) {
      const item = template.content.querySelector("[data-comment]").cloneNode(true);
      const author = comment.author || {};
      item.dataset.commentId = String(comment.id);
      for (const link of item.querySelectorAll('[data-el="avatar-link"], [data-el="author-link"]')) {
        link.href = author.url || "#";
      }
      item.querySelector('[data-el="avatar-link"]').replaceChildren(makeAvatar(author, "sm"));
      item.querySelector('[data-el="author-name"]').textContent = author.display_name || author.handle || "";
      const time = item.querySelector('[data-el="time"]');
      time.dateTime = comment.created_at || "";
      time.textContent = comment.created_at ? timeAgo(new Date(comment.created_at)) : "";
      item.querySelector('[data-el="body"]').textContent = comment.body;
      if (!comment.can_delete) item.querySelector('[data-el="delete"]')?.remove();
      const report = item.querySelector('[data-el="report"]');
      if (report && (!isAuthenticated || author.handle === body.dataset.handle)) report.remove();
      else if (report) report.href = report.dataset.reportBase.replace(/\/0\/$/, `/${comment.id}/`);
      return item;
    }

    function append(comments) {
      for (const comment of comments) {
        if (seen.has(String(comment.id))) continue;
        seen.add(String(comment.id));
        list.append(build(comment));
      }
    }

    async function fetchPage() {
      const generation = state.generation;
      const cursor = state.next ? `?cursor=${encodeURIComponent(state.next)}` : "";
      loading.hidden = false;
      more.hidden = true;
      try {
        const page = await api(`posts/${state.postId}/comments/${cursor}`);
        if (generation !== state.generation) return;
        append(page.results || []);
        state.next = page.next || null;
      } catch (error) {
        if (generation === state.generation) toast(error.message, "error");
      } finally {
        if (generation === state.generation) {
          loading.hidden = true;
          more.hidden = !state.next;
          empty.hidden = list.children.length > 0;
        }
      }
    }

    function open(postId, count, onCount) {
      state.generation += 1;
      state.postId = postId;
      state.next = null;
      state.onCount = null;
      seen.clear();
      list.replaceChildren();
      empty.hidden = true;
      showError("");
      if (input) input.value = "";
      showCount(count);
      state.onCount = onCount;
      return fetchPage();
    }

    more?.addEventListener("click", () => {
      const items = list.children.length;
      fetchPage().then(() => list.children[items]?.querySelector("a")?.focus({ preventScroll: false }));
    });

    list.addEventListener("click", async (event) => {
      const button = event.target.closest('[data-el="delete"]');
      if (!button) return;
      const item = button.closest("[data-comment]");
      item.classList.add("is-removing");
      button.disabled = true;
      try {
        await api(`comments/${item.dataset.commentId}/`, { method: "DELETE" });
        const neighbour = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        seen.delete(item.dataset.commentId);
        showCount(state.count - 1);
        empty.hidden = list.children.length > 0;
        (neighbour?.querySelector('[data-el="delete"]') || input)?.focus({ preventScroll: true });
        toast(gettext("Comment deleted."));
      } catch (error) {
        item.classList.remove("is-removing");
        button.disabled = false;
        reportError(error, gettext("Log in to comment."));
      }
    });

    function autosize() {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 2, 140)}px`;
    }

    input?.addEventListener("input", () => {
      autosize();
      showError("");
    });

    input?.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) {
        showError(gettext("Write something first."));
        input.focus();
        return;
      }
      submit.disabled = true;
      showError("");
      try {
        const comment = await api(`posts/${state.postId}/comments/`, { method: "POST", data: { body: text } });
        seen.add(String(comment.id));
        list.prepend(build(comment));
        empty.hidden = true;
        input.value = "";
        autosize();
        showCount(state.count + 1);
        list.parentElement.scrollTop = 0;
      } catch (error) {
        if (error instanceof ApiError && error.needsLogin) promptLogin(gettext("Log in to comment."));
        else showError(error.payload?.error?.fields?.body?.[0] || error.message);
      } finally {
        submit.disabled = false;
      }
    });

    return { open, input, section };
  }

  /* ---------- The player ---------- */

  const sound = { on: false };

  function player(root) {
    const isFeed = root.hasAttribute("data-feed");
    const slideTemplate = doc.getElementById("slide-template");
    const endCard = root.querySelector("[data-feed-end]");
    const sheet = doc.getElementById("comments-sheet");
    const sheetPanel = sheet ? commentsPanel(sheet.querySelector("[data-comments]")) : null;
    let active = null;
    let nextCursor = root.dataset.next || null;
    let loading = false;
    let loader = null;

    const slides = () => Array.from(root.querySelectorAll("[data-slide]"));
    const part = (slide, name) => slide.querySelector(`[data-el="${name}"]`);
    const seen = new Set(slides().map((slide) => slide.dataset.postId));
    const inlineSection = doc.querySelector(".post-page [data-comments]");
    const inlinePanel = inlineSection
      ? commentsPanel(inlineSection, (value) => setCount(part(slides()[0], "comment-count"), value))
      : null;

    function showPlaying(slide, playing) {
      slide.classList.toggle("is-paused", !playing && slide === active);
      part(slide, "play")?.setAttribute("aria-label", playing ? gettext("Pause") : gettext("Play"));
    }

    function play(slide) {
      const video = part(slide, "video");
      if (!video) return;
      if (!video.getAttribute("src") && video.dataset.src) {
        video.src = video.dataset.src;
      }
      video.muted = !sound.on;
      const attempt = video.play();
      if (!attempt) return;
      attempt.catch((error) => {
        if (error.name === "NotAllowedError" && !video.muted) {
          sound.on = false;
          showSound();
          video.muted = true;
          video.play().catch(() => showPlaying(slide, false));
        } else if (error.name !== "AbortError") {
          showPlaying(slide, false);
        }
      });
    }

    function togglePlay(slide = active) {
      const video = slide && part(slide, "video");
      if (!video) return;
      if (video.paused) {
        delete slide.dataset.userPaused;
        play(slide);
      } else {
        slide.dataset.userPaused = "1";
        video.pause();
      }
    }

    function showSound() {
      body.dataset.sound = sound.on ? "on" : "off";
      for (const slide of slides()) {
        const video = part(slide, "video");
        if (video) video.muted = !sound.on || slide !== active;
        for (const button of slide.querySelectorAll('[data-el="sound"], [data-el="tap"]')) {
          button.setAttribute("aria-pressed", String(sound.on));
        }
      }
    }

    function toggleSound(slide = active, flash = false) {
      if (!slide) return;
      sound.on = !sound.on;
      showSound();
      const video = part(slide, "video");
      if (slide === active && video?.paused) play(slide);
      if (flash) {
        const badge = part(slide, "flash");
        badge.querySelector("use").setAttribute("href", sound.on ? "#i-sound-on" : "#i-sound-off");
        badge.classList.remove("is-flashing");
        void badge.offsetWidth;
        badge.classList.add("is-flashing");
      }
    }

    function keepNearbyLoaded(index) {
      slides().forEach((slide, position) => {
        const video = part(slide, "video");
        if (!video) return;
        const distance = Math.abs(position - index);
        if (distance > 4 && video.getAttribute("src")) {
          video.dataset.src = video.getAttribute("src");
          video.removeAttribute("src");
          video.load();
        } else if (distance <= 2 && !video.getAttribute("src") && video.dataset.src) {
          video.src = video.dataset.src;
        }
        if (distance === 1) video.preload = "auto";
      });
    }

    function activate(slide) {
      if (active === slide) return;
      const previous = active;
      active = slide;
      if (previous) {
        previous.classList.remove("is-active", "is-paused");
        const video = part(previous, "video");
        if (video) {
          video.pause();
          video.muted = true;
        }
      }
      slide.classList.add("is-active");
      delete slide.dataset.userPaused;
      const index = slides().indexOf(slide);
      keepNearbyLoaded(index);
      play(slide);
      if (isFeed) loadMore();
    }

    function go(step) {
      const list = slides();
      const index = active ? list.indexOf(active) : 0;
      const target = list[Math.max(0, index + step)];
      if (target && target !== active) {
        target.focus({ preventScroll: true });
        target.scrollIntoView({ behavior: scrollBehavior, block: "start" });
      } else if (step > 0 && endCard && !endCard.hidden) {
        endCard.scrollIntoView({ behavior: scrollBehavior, block: "start" });
      }
    }

    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
          if (entry.target !== active) activate(entry.target);
          else if (part(active, "video")?.paused && !active.dataset.userPaused) play(active);
        } else if (entry.target === active && entry.intersectionRatio < 0.25) {
          part(entry.target, "video")?.pause();
        }
      }
    }, { root: isFeed ? root : null, threshold: [0, 0.25, 0.6, 1] });

    function wire(slide) {
      const video = part(slide, "video");
      const bar = part(slide, "progress");
      video.addEventListener("play", () => showPlaying(slide, true));
      video.addEventListener("pause", () => showPlaying(slide, false));
      video.addEventListener("timeupdate", () => {
        if (video.duration) bar.style.transform = `scaleX(${video.currentTime / video.duration})`;
      });
      for (const count of slide.querySelectorAll('[data-el="like-count"], [data-el="comment-count"]')) {
        setCount(count, count.dataset.count);
      }
      observer.observe(slide);
    }

    function tick() {
      const video = active && part(active, "video");
      if (video && !video.paused && video.duration) {
        part(active, "progress").style.transform = `scaleX(${video.currentTime / video.duration})`;
      }
      window.requestAnimationFrame(tick);
    }

    function build(post) {
      const slide = slideTemplate.content.querySelector("[data-slide]").cloneNode(true);
      const author = post.author || {};
      const name = author.display_name || author.handle || "";
      const handle = author.handle || "";
      slide.dataset.postId = String(post.id);
      slide.dataset.url = post.url;
      slide.dataset.shareUrl = post.share_url || post.url;
      slide.dataset.caption = post.caption || "";
      slide.dataset.handle = handle;
      const report = part(slide, "report");
      if (report) report.href = report.dataset.reportBase.replace(/\/0\/$/, `/${post.id}/`);
      slide.setAttribute("aria-label", fill(gettext("Video by %(name)s"), { name }));
      if (post.state && post.state !== "published") slide.classList.add("slide--draft");

      const video = part(slide, "video");
      if (post.poster_url) {
        video.poster = post.poster_url;
        slide.style.setProperty("--poster", `url(${JSON.stringify(post.poster_url)})`);
      }
      video.src = post.video_url;
      if (post.width) video.width = post.width;
      if (post.height) video.height = post.height;
      video.setAttribute("aria-label", post.caption || gettext("Video"));

      part(slide, "author-link").href = author.url;
      part(slide, "author-name").textContent = name;
      part(slide, "author-handle").textContent = `@${handle}`;
      const caption = part(slide, "caption");
      caption.textContent = post.caption || "";
      caption.hidden = !post.caption;
      const remix = part(slide, "remix");
      if (post.remix_of) {
        remix.href = `/v/${post.remix_of.id}/`;
        part(slide, "remix-label").textContent = post.remix_of.author_handle
          ? fill(gettext("Remix of @%(handle)s"), { handle: post.remix_of.author_handle })
          : gettext("Remix");
        remix.hidden = false;
      }

      const avatarLink = part(slide, "avatar-link");
      avatarLink.href = author.url;
      avatarLink.setAttribute("aria-label", fill(gettext("Profile of %(name)s"), { name }));
      avatarLink.replaceChildren(makeAvatar(author, "md"));
      const follow = part(slide, "follow");
      if (follow) {
        if (handle.toLowerCase() === myHandle) {
          follow.remove();
        } else {
          follow.dataset.handle = handle;
          follow.setAttribute("aria-label", fill(gettext("Follow @%(handle)s"), { handle }));
          follow.setAttribute("aria-pressed", String(followed.has(handle.toLowerCase())));
        }
      }

      const like = part(slide, "like");
      const likeCount = part(slide, "like-count");
      like.setAttribute("aria-pressed", String(Boolean(post.liked)));
      likeCount.id = `like-count-${post.id}`;
      like.setAttribute("aria-describedby", likeCount.id);
      likeCount.dataset.count = String(post.like_count || 0);
      const comment = part(slide, "comment");
      const commentCount = part(slide, "comment-count");
      commentCount.id = `comment-count-${post.id}`;
      comment.setAttribute("aria-describedby", commentCount.id);
      commentCount.dataset.count = String(post.comment_count || 0);
      const remixLink = part(slide, "remix-create");
      if (remixLink && post.state === "published") {
        remixLink.href = remixLink.dataset.remixBase + post.id;
        remixLink.closest(".rail__item").hidden = false;
      }
      for (const button of slide.querySelectorAll('[data-el="sound"], [data-el="tap"]')) {
        button.setAttribute("aria-pressed", String(sound.on));
      }
      return slide;
    }

    function showLoader(show) {
      if (show && !loader) {
        loader = doc.createElement("div");
        loader.className = "feed__loading";
        loader.setAttribute("role", "status");
        const spinner = doc.createElement("span");
        spinner.className = "spinner";
        const label = doc.createElement("span");
        label.className = "visually-hidden";
        label.textContent = gettext("Loading more videos…");
        loader.append(spinner, label);
        root.insertBefore(loader, endCard);
      } else if (!show && loader) {
        loader.remove();
        loader = null;
      }
    }

    async function loadMore() {
      if (!nextCursor || loading) return;
      const list = slides();
      if (list.indexOf(active) < list.length - 3) return;
      loading = true;
      showLoader(true);
      try {
        let added = 0;
        for (let round = 0; round < 3 && nextCursor && added === 0; round += 1) {
          const page = await api(`${root.dataset.apiPath}?cursor=${encodeURIComponent(nextCursor)}`);
          nextCursor = page.next || null;
          for (const post of page.results || []) {
            const id = String(post.id);
            if (seen.has(id)) continue;
            seen.add(id);
            const slide = build(post);
            root.insertBefore(slide, loader || endCard);
            wire(slide);
            added += 1;
          }
        }
        if (!nextCursor && endCard) endCard.hidden = false;
      } catch (error) {
        toast(error.message, "error");
      } finally {
        showLoader(false);
        loading = false;
      }
    }

    function openComments(slide) {
      const countElement = part(slide, "comment-count");
      const count = Number(countElement?.dataset.count) || 0;
      if (inlinePanel) {
        inlinePanel.section.scrollIntoView({ behavior: scrollBehavior, block: "start" });
        inlinePanel.input?.focus({ preventScroll: true });
        return;
      }
      if (!sheetPanel) return;
      openDialog(sheet, part(slide, "comment"));
      sheetPanel.open(slide.dataset.postId, count, (value) => setCount(countElement, value));
      (sheetPanel.input || sheet.querySelector("[data-close]"))?.focus();
    }

    root.addEventListener("click", (event) => {
      const control = event.target.closest("[data-el]");
      const slide = control?.closest("[data-slide]");
      if (!slide || !root.contains(slide)) return;
      switch (control.dataset.el) {
        case "tap":
          if (slide !== active) activate(slide);
          toggleSound(slide, true);
          break;
        case "sound":
          toggleSound(slide);
          break;
        case "play":
          if (slide !== active) activate(slide);
          else togglePlay(slide);
          break;
        case "like":
          toggleLike(slide);
          break;
        case "comment":
          openComments(slide);
          break;
        case "share":
          share(slide);
          break;
        case "follow":
          toggleFollow(control);
          break;
        default:
      }
    });

    root.querySelector("[data-back-to-top]")?.addEventListener("click", () => {
      const first = slides()[0];
      if (!first) return;
      first.focus({ preventScroll: true });
      first.scrollIntoView({ behavior: scrollBehavior, block: "start" });
    });

    doc.addEventListener("visibilitychange", () => {
      const video = active && part(active, "video");
      if (!video) return;
      if (doc.hidden) video.pause();
      else if (!active.dataset.userPaused) play(active);
    });

    slides().forEach(wire);
    window.requestAnimationFrame(tick);

    return {
      togglePlay: () => togglePlay(),
      toggleSound: () => toggleSound(active, true),
      go,
      like: () => active && toggleLike(active),
      comments: () => active && openComments(active),
    };
  }

  /* ---------- Keyboard ---------- */

  const playerRoot = doc.querySelector("[data-player]");
  const current = playerRoot ? player(playerRoot) : null;

  doc.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (doc.querySelector("dialog[open]")) return;
    const target = event.target;
    if (target.closest?.("input, textarea, select, [contenteditable], details[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      openDialog(shortcutsDialog);
      return;
    }
    if (!current) return;
    const onControl = Boolean(target.closest?.("button, a, summary"));
    switch (event.key) {
      case " ":
        if (onControl) return;
        current.togglePlay();
        break;
      case "k":
      case "K":
        current.togglePlay();
        break;
      case "ArrowDown":
      case "j":
      case "J":
        current.go(1);
        break;
      case "ArrowUp":
        current.go(-1);
        break;
      case "m":
      case "M":
        current.toggleSound();
        break;
      case "l":
      case "L":
        current.like();
        break;
      case "c":
      case "C":
        current.comments();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  /* ---------- Profile grids ---------- */

  doc.addEventListener("click", async (event) => {
    const more = event.target.closest?.("[data-grid-more]");
    if (!more) return;
    event.preventDefault();
    const grid = doc.querySelector("[data-grid]");
    const template = doc.getElementById("grid-item-template");
    if (!grid || !template || more.getAttribute("aria-busy") === "true") return;
    more.setAttribute("aria-busy", "true");
    try {
      const page = await api(`${more.dataset.apiPath}?cursor=${encodeURIComponent(more.dataset.next)}`);
      const first = grid.children.length;
      for (const post of page.results || []) {
        const cell = template.content.querySelector("li").cloneNode(true);
        cell.querySelector('[data-el="link"]').href = post.url;
        const poster = cell.querySelector('[data-el="poster"]');
        if (post.poster_url) poster.src = post.poster_url;
        poster.width = post.width;
        poster.height = post.height;
        poster.alt = post.caption || gettext("Video");
        cell.querySelector('[data-el="likes"]').textContent = formatCount(post.like_count);
        grid.append(cell);
      }
      grid.children[first]?.querySelector("a")?.focus();
      if (page.next) more.dataset.next = page.next;
      else more.closest("p")?.remove();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      more.removeAttribute("aria-busy");
    }
  });

  /* ---------- Page start ---------- */

  // A slide's poster comes as a data attribute and is set through the CSSOM: the
  // Content-Security-Policy blocks style="" attributes in the markup.
  for (const slide of doc.querySelectorAll("[data-poster]")) {
    slide.style.setProperty("--poster", `url(${JSON.stringify(slide.dataset.poster)})`);
  }
  for (const avatar of doc.querySelectorAll("[data-avatar-seed]")) {
    avatar.style.setProperty("--hue", hueFor(avatar.dataset.avatarSeed));
  }
  for (const likes of doc.querySelectorAll('.grid [data-el="likes"]')) {
    likes.textContent = formatCount(likes.textContent);
  }
  for (const time of doc.querySelectorAll('time[data-el="time"], time[data-relative]')) {
    const text = timeAgo(new Date(time.dateTime));
    if (text) time.textContent = text;
  }
  for (const element of doc.querySelectorAll("[data-server-toast]")) {
    dismissLater(element, 5000);
  }
})();
