/*
 * mockserver wx shim: a `wx` object for running mini-program code (and SDKs such as
 * authing-wxapp-sdk) under Node >= 18, backed by a running mockserver.
 *
 *   const { createWx } = require("./wx.js");          // or GET /__mock__/wx.js
 *   globalThis.wx = createWx({ server: "http://127.0.0.1:8080", appid: "wx...", user: "alice" });
 *   const { code } = await wx.login();
 *
 * createWx options: `server` (required), `appid`, `user` (an alias or openid; without it the first
 * wx.login makes a new WeChat user and this wx object stays that user, as on a phone), `adminToken`
 * (for a mock started with --admin-token: sent as "Authorization: Bearer <token>" on the shim's
 * control-plane calls only, never on wx.request/wx.uploadFile), `images`, `storage`, `subscribeAnswer`
 * (what the user taps in requestSubscribeMessage: true, false or {tmplId: bool}; default: allow).
 *
 * Plain JavaScript with no dependencies. In Node it uses the `http`/`https`/`fs` modules. Outside
 * Node it falls back to `fetch`, which helps only on a page served by the mock itself (its own
 * origin, e.g. the dashboard at /__mock__/): the control plane answers 403 to pages from any other
 * origin, so wx.login, getUserProfile and wx.mock.* fail there, while wx.request to the emulated
 * APIs works from any origin (CORS). There are no local files there: uploadFile fails and
 * chooseImage is a cancelled pick.
 *
 * Semantics follow the real wx API: asynchronous functions take success/fail/complete callbacks and
 * return a Promise when none is given (except wx.request and wx.uploadFile, which return a task
 * object, as on a phone); results carry errMsg "<api>:ok" and failures "<api>:fail <reason>".
 * An exception thrown by a success/fail/complete callback does not stop `complete` and is rethrown
 * as an uncaught error (as real wx reports it), never turned into a failure of the call.
 * Storage keeps what real wx keeps (JSON-serializable values, and a Date stored as itself),
 * 1 MB per key and 10 MB in all; wx.getStorageSync returns "" for a missing key, as real wx does.
 */
(function (root) {
  "use strict";

  var STORAGE_LIMIT_KB = 10240; // 10 MB in all
  var ENTRY_LIMIT_BYTES = 1024 * 1024; // 1 MB per key
  var DEFAULT_TIMEOUT_MS = 60000;

  var nodeRequire =
    typeof process !== "undefined" && process.versions && process.versions.node && typeof require === "function"
      ? require
      : null;

  // ---- helpers -------------------------------------------------------------------------------

  function hasCallback(options) {
    return (
      typeof options.success === "function" ||
      typeof options.fail === "function" ||
      typeof options.complete === "function"
    );
  }

  // A user's callback: what it throws must neither stop the callbacks after it (complete) nor
  // become a rejected promise nobody handles; it surfaces as an ordinary uncaught error instead,
  // as in real wx (Node: 'uncaughtException'; browsers: the window 'error' event).
  function callBack(fn, result) {
    if (typeof fn !== "function") return;
    try {
      fn(result);
    } catch (err) {
      setTimeout(function () {
        throw err;
      }, 0);
    }
  }

  // Runs `work` (a function returning a Promise of the success result, or rejecting with an errMsg
  // reason) as the wx API `api`: callbacks if any were given, else a Promise.
  function asyncApi(api, options, work) {
    options = options || {};
    var settled = Promise.resolve()
      .then(function () {
        return work(options);
      })
      .then(
        function (result) {
          result.errMsg = api + ":ok";
          return { ok: true, value: result };
        },
        function (reason) {
          var text = reason && reason.message !== undefined ? reason.message : String(reason);
          var failure = { errMsg: api + ":fail " + text };
          if (reason && reason.errCode !== undefined) failure.errCode = reason.errCode;
          return { ok: false, value: failure };
        }
      );
    if (hasCallback(options)) {
      settled.then(function (outcome) {
        callBack(outcome.ok ? options.success : options.fail, outcome.value);
        callBack(options.complete, outcome.value);
      });
      return undefined;
    }
    return settled.then(function (outcome) {
      if (outcome.ok) return outcome.value;
      throw outcome.value;
    });
  }

  // wx.request and wx.uploadFile return a task instead of a Promise, even without callbacks.
  function taskApi(api, options, work) {
    var callbacks = { success: options.success, fail: options.fail, complete: options.complete };
    if (!hasCallback(callbacks)) callbacks.complete = function () {};
    asyncApi(api, callbacks, work);
  }

  function lowerKeys(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) {
      if (headers[name] !== undefined && headers[name] !== null) out[name.toLowerCase()] = String(headers[name]);
    });
    return out;
  }

  function formEncode(data) {
    return Object.keys(data)
      .filter(function (k) {
        return data[k] !== undefined;
      })
      .map(function (k) {
        var v = data[k];
        if (v !== null && typeof v === "object") v = JSON.stringify(v);
        return encodeURIComponent(k) + "=" + encodeURIComponent(v === null ? "" : v);
      })
      .join("&");
  }

  function appendQuery(url, query) {
    if (!query) return url;
    var hash = "";
    var at = url.indexOf("#");
    if (at >= 0) {
      hash = url.slice(at);
      url = url.slice(0, at);
    }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + query + hash;
  }

  function toBytes(value) {
    if (typeof Buffer !== "undefined") {
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
      if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return Buffer.from(String(value), "utf8");
    }
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
    return new TextEncoder().encode(String(value));
  }

  function toArrayBuffer(bytes) {
    if (bytes instanceof ArrayBuffer) return bytes;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  function utf8Length(text) {
    if (typeof Buffer !== "undefined") return Buffer.byteLength(text, "utf8");
    return new TextEncoder().encode(text).length;
  }

  function bytesToText(bytes) {
    if (typeof Buffer !== "undefined" && Buffer.isBuffer(bytes)) return bytes.toString("utf8");
    return new TextDecoder().decode(bytes);
  }

  // ---- transport -----------------------------------------------------------------------------
  // send({method, url, headers, body, timeout}) -> {task, done: Promise<{statusCode, headers, cookies, body}>}
  // `headers` of the answer have lower-case names; `body` is bytes.

  function nodeSend(req) {
    var parsed = new URL(req.url);
    var lib = nodeRequire(parsed.protocol === "https:" ? "https" : "http");
    var clientRequest;
    var aborted = false;
    var done = new Promise(function (resolve, reject) {
      var headers = Object.assign({}, req.headers);
      if (req.body !== undefined) headers["content-length"] = String(req.body.length);
      clientRequest = lib.request(parsed, { method: req.method, headers: headers }, function (res) {
        var chunks = [];
        res.on("data", function (chunk) {
          chunks.push(chunk);
        });
        res.on("end", function () {
          var cookies = res.headers["set-cookie"] || [];
          var flat = {};
          Object.keys(res.headers).forEach(function (name) {
            var v = res.headers[name];
            flat[name] = Array.isArray(v) ? v.join(", ") : v;
          });
          resolve({ statusCode: res.statusCode, headers: flat, cookies: cookies, body: Buffer.concat(chunks) });
        });
        res.on("error", function (err) {
          reject(aborted ? new Error("abort") : err);
        });
      });
      clientRequest.setTimeout(req.timeout, function () {
        clientRequest.destroy(new Error("timeout"));
      });
      clientRequest.on("error", function (err) {
        reject(aborted ? new Error("abort") : err);
      });
      if (req.body !== undefined) clientRequest.write(req.body);
      clientRequest.end();
    });
    return {
      abort: function () {
        aborted = true;
        clientRequest.destroy(new Error("abort"));
      },
      done: done,
    };
  }

  function fetchSend(req) {
    var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    var reason = null;
    var timer = setTimeout(function () {
      reason = "timeout";
      if (controller) controller.abort();
    }, req.timeout);
    var done = fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller ? controller.signal : undefined,
    })
      .then(function (res) {
        return res.arrayBuffer().then(function (buf) {
          var headers = {};
          res.headers.forEach(function (value, name) {
            headers[name.toLowerCase()] = value;
          });
          return { statusCode: res.status, headers: headers, cookies: [], body: new Uint8Array(buf) };
        });
      })
      .catch(function (err) {
        throw reason ? new Error(reason) : err;
      })
      .finally(function () {
        clearTimeout(timer);
      });
    return {
      abort: function () {
        reason = "abort";
        if (controller) controller.abort();
      },
      done: done,
    };
  }

  function send(req) {
    return nodeRequire ? nodeSend(req) : fetchSend(req);
  }

  // What wx.request and wx.uploadFile return: a task whose abort() works even before the transfer
  // starts (abort() right after the call), as in real wx. `methods` are the task's other methods.
  function transferTask(methods) {
    var transfer = null;
    var aborted = false;
    var task = {
      abort: function () {
        aborted = true;
        if (transfer) transfer.abort();
      },
    };
    Object.keys(methods).forEach(function (name) {
      task[name] = methods[name];
    });
    return {
      task: task,
      begin: function () {
        if (aborted) throw new Error("abort");
      },
      send: function (req) {
        this.begin();
        transfer = send(req);
        return transfer.done;
      },
    };
  }

  function guessMime(path) {
    var ext = (path.split(".").pop() || "").toLowerCase();
    return (
      {
        png: "image/png",
        jpg: "image/jpeg",
        jpeg: "image/jpeg",
        gif: "image/gif",
        webp: "image/webp",
        txt: "text/plain",
        json: "application/json",
      }[ext] || "application/octet-stream"
    );
  }

  // ---- the wx object ------------------------------------------------------------------------

  function createWx(config) {
    config = config || {};
    if (!config.server) throw new Error("createWx: `server` (the mockserver base URL) is required");
    var server = String(config.server).replace(/\/+$/, "");
    var adminToken = config.adminToken ? String(config.adminToken) : null;
    var state = {
      appid: config.appid || null,
      user: config.user || null, // null until the first wx.login (or a call that needs a user) makes one
      chosenImages: (config.images || []).slice(),
      // What the user taps in requestSubscribeMessage's dialog: true ("allow" every template),
      // false, or {templateId: true/false}; null: the mock's default for the user (allow, unless
      // the fixture says they reject subscribe messages).
      subscribeAnswer: config.subscribeAnswer === undefined ? null : config.subscribeAnswer,
    };
    var pendingUser = null; // while a user is being made: a Promise of it, shared by every caller

    // The mock's /__mock__/ API. Only these calls carry the admin token: wx.request and
    // wx.uploadFile go wherever the mini program points them and never see it.
    function controlPlane(path, body) {
      var payload = toBytes(JSON.stringify(body));
      var headers = { "content-type": "application/json" };
      if (adminToken) headers.authorization = "Bearer " + adminToken;
      return send({
        method: "POST",
        url: server + path,
        headers: headers,
        body: payload,
        timeout: DEFAULT_TIMEOUT_MS,
      }).done.then(function (res) {
        var text = bytesToText(res.body);
        var data;
        try {
          data = JSON.parse(text);
        } catch (e) {
          throw new Error("mockserver answered " + res.statusCode + " with a non-JSON body from " + path);
        }
        if (res.statusCode < 200 || res.statusCode >= 300) {
          var refused = new Error((data && (data.message || data.errMsg || data.error)) || "mockserver status " + res.statusCode);
          if (data && data.errCode !== undefined) refused.errCode = data.errCode;
          throw refused;
        }
        return data;
      });
    }

    function withAppid(body) {
      if (state.appid) body.appid = state.appid;
      return body;
    }

    // Becomes this wx object's user once `made` (a Promise of an alias or openid) settles, unless
    // mock.switchUser chose one meanwhile.
    function adoptUser(made) {
      var pending = made.then(function (user) {
        if (!state.user) state.user = user;
        return state.user;
      });
      var clear = function () {
        if (pendingUser === pending) pendingUser = null;
      };
      pending.then(clear, clear);
      pendingUser = pending;
      return pending;
    }

    // This wx object's WeChat user. Without `user` in createWx and before any wx.login, a new one
    // (made up by the mock) — the same for every later call, as one phone is one WeChat user.
    function currentUser() {
      if (state.user) return Promise.resolve(state.user);
      if (pendingUser) return pendingUser;
      return adoptUser(
        controlPlane("/__mock__/users", {}).then(function (made) {
          var inApp = state.appid && made.apps && made.apps[state.appid];
          return (inApp && inApp.openid) || made.alias;
        })
      );
    }

    function login() {
      if (!state.user && !pendingUser) {
        // No user yet: the mock makes one with this login; its openid is this wx object's user.
        var minted = controlPlane("/__mock__/wechat/login", withAppid({}));
        adoptUser(
          minted.then(function (data) {
            return data.openid;
          })
        );
        return minted;
      }
      return currentUser().then(function (user) {
        return controlPlane("/__mock__/wechat/login", withAppid({ user: user }));
      });
    }

    function identity() {
      return currentUser().then(function (user) {
        return withAppid({ user: user });
      });
    }

    function encryptedData(kind) {
      return identity().then(function (body) {
        return controlPlane("/__mock__/wechat/encrypted-data", Object.assign(body, { kind: kind }));
      });
    }

    // ---- storage: key -> {date, text, size}; errors are Errors with the reason only, and the
    // sync/async wrappers add the "<api>:fail " prefix once.
    var store = new Map();
    var storeBytes = 0;

    function storageKey(key) {
      if (typeof key !== "string" || key === "") throw new Error("parameter error: key should be a non-empty string");
      return key;
    }

    function isDate(value) {
      return Object.prototype.toString.call(value) === "[object Date]";
    }

    // What real wx keeps: native types, a Date (given back as a Date) and what JSON.stringify can
    // serialize (so a Date inside an object comes back as its ISO string).
    function encodeEntry(data) {
      if (isDate(data)) return { date: true, text: String(data.getTime()) };
      var text;
      try {
        text = data === undefined ? JSON.stringify("") : JSON.stringify(data);
      } catch (e) {
        text = undefined; // cycles, BigInt
      }
      if (text === undefined) throw new Error("data is not serializable");
      return { date: false, text: text };
    }

    function decodeEntry(entry) {
      return entry.date ? new Date(Number(entry.text)) : JSON.parse(entry.text);
    }

    function putItem(key, data) {
      storageKey(key);
      var entry = encodeEntry(data);
      var dataBytes = utf8Length(entry.text);
      if (dataBytes > ENTRY_LIMIT_BYTES) throw new Error("entry size limit reached");
      entry.size = utf8Length(key) + dataBytes;
      var previous = store.get(key);
      var total = storeBytes - (previous ? previous.size : 0) + entry.size;
      if (total > STORAGE_LIMIT_KB * 1024) throw new Error("exceed storage max size 10MB");
      store.set(key, entry);
      storeBytes = total;
    }

    function hasItem(key) {
      return store.has(storageKey(key));
    }

    function getItem(key) {
      return hasItem(key) ? decodeEntry(store.get(key)) : "";
    }

    function removeItem(key) {
      var previous = store.get(storageKey(key));
      if (previous) {
        store.delete(key);
        storeBytes -= previous.size;
      }
    }

    function clearItems() {
      store.clear();
      storeBytes = 0;
    }

    function storageInfo() {
      return { keys: Array.from(store.keys()), currentSize: Math.ceil(storeBytes / 1024), limitSize: STORAGE_LIMIT_KB };
    }

    // A synchronous storage function: throws Error("<api>:fail <reason>").
    function syncApi(api, fn) {
      return function () {
        try {
          return fn.apply(null, arguments);
        } catch (err) {
          var text = err && err.message !== undefined ? err.message : String(err);
          var failure = new Error(api + ":fail " + text);
          failure.errMsg = failure.message;
          throw failure;
        }
      };
    }

    Object.keys(config.storage || {}).forEach(function (key) {
      try {
        putItem(key, config.storage[key]);
      } catch (err) {
        throw new Error("createWx: storage[" + JSON.stringify(key) + "]: " + err.message);
      }
    });

    var wx = {
      // ---- open abilities, backed by the mock's WeChat emulation ----
      login: function (options) {
        return asyncApi("login", options, function () {
          return login().then(function (data) {
            return { code: data.code };
          });
        });
      },

      getUserProfile: function (options) {
        return asyncApi("getUserProfile", options, function () {
          return encryptedData("userInfo").then(userInfoResult);
        });
      },

      getUserInfo: function (options) {
        return asyncApi("getUserInfo", options, function () {
          return encryptedData("userInfo").then(userInfoResult);
        });
      },

      // The subscription dialog: the user's answer (wx.mock.setSubscribeAnswer) is recorded as
      // consent, one message per "accept" of a one-time template. Resolves {errMsg, [tmplId]: "accept" | "reject"}.
      requestSubscribeMessage: function (options) {
        return asyncApi("requestSubscribeMessage", options, function (opts) {
          return identity().then(function (body) {
            body.template_ids = opts.tmplIds;
            if (state.subscribeAnswer !== null) body.accept = state.subscribeAnswer;
            return controlPlane("/__mock__/wechat/subscriptions", body);
          }).then(function (answer) {
            return Object.assign({}, answer.results);
          });
        });
      },

      // The encrypted network channel: the user's newest encryption key, the one the backend's
      // getuserencryptkey lists first (a new version once the last expired by the mock's clock).
      getUserCryptoManager: function () {
        return {
          getLatestUserKey: function (options) {
            return asyncApi("getLatestUserKey", options, function () {
              return identity()
                .then(function (body) {
                  return controlPlane("/__mock__/wechat/user-encrypt-key", body);
                })
                .then(function (key) {
                  return { encryptKey: key.encryptKey, iv: key.iv, version: key.version, expireTime: key.expireTime };
                });
            });
          },
        };
      },

      // ---- network ----
      request: function (options) {
        options = options || {};
        var method = String(options.method || "GET").toUpperCase();
        var headers = lowerKeys(options.header);
        if (!headers["content-type"]) headers["content-type"] = "application/json";
        if (state.appid && !headers.referer) headers.referer = "https://servicewechat.com/" + state.appid + "/devtools/page-frame.html";
        var url = options.url;
        var body;
        var data = options.data;
        if (data !== undefined && data !== null) {
          var isBinary = data instanceof ArrayBuffer || ArrayBuffer.isView(data);
          if (method === "GET" && !isBinary) {
            url = appendQuery(url, typeof data === "string" ? data : formEncode(data));
          } else if (isBinary || typeof data === "string") {
            body = toBytes(data);
          } else if (headers["content-type"].indexOf("application/x-www-form-urlencoded") === 0) {
            body = toBytes(formEncode(data));
          } else {
            body = toBytes(JSON.stringify(data));
          }
        }
        var transfer = transferTask({ onHeadersReceived: function () {}, offHeadersReceived: function () {} });
        taskApi("request", options, function () {
          return transfer.send({
            method: method,
            url: url,
            headers: headers,
            body: body,
            timeout: options.timeout || DEFAULT_TIMEOUT_MS,
          }).then(function (res) {
            var result;
            if (options.responseType === "arraybuffer") {
              result = toArrayBuffer(res.body);
            } else {
              result = bytesToText(res.body);
              if ((options.dataType || "json") === "json") {
                try {
                  result = JSON.parse(result);
                } catch (e) {
                  /* real wx hands back the text when it is not JSON */
                }
              }
            }
            return { data: result, statusCode: res.statusCode, header: res.headers, cookies: res.cookies };
          });
        });
        return transfer.task;
      },

      uploadFile: function (options) {
        options = options || {};
        var transfer = transferTask({
          onProgressUpdate: function () {},
          offProgressUpdate: function () {},
          onHeadersReceived: function () {},
          offHeadersReceived: function () {},
        });
        taskApi("uploadFile", options, function () {
          transfer.begin();
          if (!nodeRequire) throw new Error("file not found");
          var fs = nodeRequire("fs");
          var pathMod = nodeRequire("path");
          if (!options.filePath || !fs.existsSync(options.filePath)) throw new Error("file not found");
          if (!options.name) throw new Error("parameter error: name should be a non-empty string");
          var boundary = "----mockserverWxBoundary" + Date.now().toString(16) + Math.floor(Math.random() * 1e9).toString(16);
          var parts = [];
          var formData = options.formData || {};
          Object.keys(formData).forEach(function (field) {
            parts.push(
              Buffer.from(
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n" + String(formData[field]) + "\r\n",
                "utf8"
              )
            );
          });
          parts.push(
            Buffer.from(
              "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + options.name + "\"; filename=\"" +
                pathMod.basename(options.filePath) + "\"\r\nContent-Type: " + guessMime(options.filePath) + "\r\n\r\n",
              "utf8"
            )
          );
          parts.push(fs.readFileSync(options.filePath));
          parts.push(Buffer.from("\r\n--" + boundary + "--\r\n", "utf8"));
          var headers = lowerKeys(options.header);
          headers["content-type"] = "multipart/form-data; boundary=" + boundary;
          if (state.appid && !headers.referer) headers.referer = "https://servicewechat.com/" + state.appid + "/devtools/page-frame.html";
          return transfer.send({
            method: "POST",
            url: options.url,
            headers: headers,
            body: Buffer.concat(parts),
            timeout: options.timeout || DEFAULT_TIMEOUT_MS,
          }).then(function (res) {
            return { data: bytesToText(res.body), statusCode: res.statusCode, header: res.headers };
          });
        });
        return transfer.task;
      },

      chooseImage: function (options) {
        return asyncApi("chooseImage", options, function (opts) {
          var count = opts.count || 9;
          var picked = state.chosenImages.slice(0, count);
          if (picked.length === 0 || !nodeRequire) throw new Error("cancel");
          var fs = nodeRequire("fs");
          return {
            tempFilePaths: picked,
            tempFiles: picked.map(function (path) {
              return { path: path, size: fs.statSync(path).size };
            }),
          };
        });
      },

      // ---- storage: asynchronous ----
      setStorage: function (options) {
        return asyncApi("setStorage", options, function (opts) {
          putItem(opts.key, opts.data);
          return {};
        });
      },
      getStorage: function (options) {
        return asyncApi("getStorage", options, function (opts) {
          if (!hasItem(opts.key)) throw new Error("data not found");
          return { data: getItem(opts.key) };
        });
      },
      removeStorage: function (options) {
        return asyncApi("removeStorage", options, function (opts) {
          removeItem(opts.key);
          return {};
        });
      },
      clearStorage: function (options) {
        return asyncApi("clearStorage", options, function () {
          clearItems();
          return {};
        });
      },
      getStorageInfo: function (options) {
        return asyncApi("getStorageInfo", options, function () {
          return storageInfo();
        });
      },

      // ---- storage: synchronous ----
      setStorageSync: syncApi("setStorageSync", function (key, data) {
        putItem(key, data);
      }),
      getStorageSync: syncApi("getStorageSync", getItem),
      removeStorageSync: syncApi("removeStorageSync", removeItem),
      clearStorageSync: syncApi("clearStorageSync", clearItems),
      getStorageInfoSync: syncApi("getStorageInfoSync", storageInfo),

      // ---- what real wx has no function for, driven by the mock ----
      mock: {
        server: server,
        get appid() {
          return state.appid;
        },
        // This wx object's WeChat user (alias or openid); null until a first wx.login made one when
        // createWx was given no `user`.
        get user() {
          return state.user;
        },
        // Later wx.login / encrypted data calls act as another WeChat user (an alias known to the mock).
        switchUser: function (alias) {
          state.user = alias;
        },
        // What a <button open-type="getPhoneNumber"> hands its bindgetphonenumber handler in e.detail:
        // the phone code (new flow) and the encryptedData/iv (old flow, sealed with the session key
        // of the latest wx.login).
        getPhoneNumber: function (options) {
          return asyncApi("getPhoneNumber", options, function () {
            var phoneCode = identity().then(function (body) {
              return controlPlane("/__mock__/wechat/phone-code", body);
            });
            return Promise.all([phoneCode, encryptedData("phoneNumber")]).then(
              function (answers) {
                return { code: answers[0].code, encryptedData: answers[1].encryptedData, iv: answers[1].iv };
              }
            );
          });
        },
        // How the user answers the next requestSubscribeMessage dialogs: true, false or {tmplId: bool}.
        setSubscribeAnswer: function (answer) {
          state.subscribeAnswer = answer === undefined ? null : answer;
        },
        // Files that the next wx.chooseImage calls "pick" (local paths). With none, the pick is cancelled.
        setChosenImages: function (paths) {
          state.chosenImages = (paths || []).slice();
        },
      },
    };

    function userInfoResult(data) {
      return {
        userInfo: JSON.parse(data.rawData),
        rawData: data.rawData,
        signature: data.signature,
        encryptedData: data.encryptedData,
        iv: data.iv,
      };
    }

    return wx;
  }

  var api = { createWx: createWx };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.mockserverWx = api;
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
