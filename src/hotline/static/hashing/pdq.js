/*
 * On-device hashing for OpenHotline: PDQ (Meta's perceptual hash) and MD5 of an image file,
 * computed in the browser so that the image itself never leaves the reporter's device.
 *
 * A port of Meta's C++ PDQ reference (pdq/cpp: Jarosz box filters on float luma at full
 * resolution, 64x64 decimation, 16x16 DCT, median threshold), in single precision like the
 * C++ (Math.fround on every operation), so that on the same pixels it gives the same bits as the
 * server's `pdqhash`. Served by OpenHotline itself; it loads nothing from anywhere.
 *
 * API (global `OpenHotlineHashing`, or module.exports under Node):
 *   hashFile(file: Blob) -> Promise<{md5, sha256 | null, pdq, quality, width, height}>
 *   pdqFromRGBA(rgba: Uint8ClampedArray|Uint8Array, width, height, channels = 4)
 *     -> {pdq: 64 hex digits, quality: 0..100}
 *   md5(bytes: Uint8Array) -> 32 hex digits
 *   withStoredOrientation(bytes: Uint8Array) -> copy with EXIF orientation 1, or null
 */
(function (root) {
  "use strict";

  var f32 = Math.fround;
  var LUMA_R = 0.299;
  var LUMA_G = 0.587;
  var LUMA_B = 0.114;
  var MIN_HASHABLE_DIM = 5;
  var JAROSZ_PASSES = 2;

  // 16x64 DCT basis without the DC row, as the C++ builds it (double, stored as float).
  var DCT = new Float32Array(16 * 64);
  (function () {
    var scale = Math.sqrt(2.0 / 64.0);
    for (var i = 0; i < 16; i++) {
      for (var j = 0; j < 64; j++) {
        DCT[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64.0) * (i + 1) * (2 * j + 1));
      }
    }
  })();

  function windowSize(oldDimension, newDimension) {
    return Math.floor((oldDimension + 2 * newDimension - 1) / (2 * newDimension));
  }

  // One box-filter pass over a strided vector, with Meta's four phases at the edges.
  function box1D(input, output, offset, length, stride, fullWindow) {
    var halfWindow = Math.floor((fullWindow + 2) / 2);
    var phase1 = halfWindow - 1;
    var phase2 = fullWindow - halfWindow + 1;
    var phase3 = length - fullWindow;
    var phase4 = halfWindow - 1;
    var li = offset;
    var ri = offset;
    var oi = offset;
    var sum = 0;
    var count = 0;
    var i;
    for (i = 0; i < phase1; i++) {
      sum = f32(sum + input[ri]);
      count++;
      ri += stride;
    }
    for (i = 0; i < phase2; i++) {
      sum = f32(sum + input[ri]);
      count++;
      output[oi] = f32(sum / count);
      ri += stride;
      oi += stride;
    }
    for (i = 0; i < phase3; i++) {
      sum = f32(sum + input[ri]);
      sum = f32(sum - input[li]);
      output[oi] = f32(sum / count);
      li += stride;
      ri += stride;
      oi += stride;
    }
    for (i = 0; i < phase4; i++) {
      sum = f32(sum - input[li]);
      count--;
      output[oi] = f32(sum / count);
      li += stride;
      oi += stride;
    }
  }

  function jarosz(buffer1, buffer2, rows, cols, windowAlongRows, windowAlongCols) {
    for (var rep = 0; rep < JAROSZ_PASSES; rep++) {
      for (var r = 0; r < rows; r++) box1D(buffer1, buffer2, r * cols, cols, 1, windowAlongRows);
      for (var c = 0; c < cols; c++) box1D(buffer2, buffer1, c, rows, cols, windowAlongCols);
    }
  }

  function quality64(a) {
    var sum = 0;
    var i, j, d;
    for (i = 0; i < 63; i++) {
      for (j = 0; j < 64; j++) {
        d = Math.trunc(f32(f32(f32(a[i * 64 + j] - a[(i + 1) * 64 + j]) * 100) / 255));
        sum += Math.abs(d);
      }
    }
    for (i = 0; i < 64; i++) {
      for (j = 0; j < 63; j++) {
        d = Math.trunc(f32(f32(f32(a[i * 64 + j] - a[i * 64 + j + 1]) * 100) / 255));
        sum += Math.abs(d);
      }
    }
    return Math.min(100, Math.floor(sum / 90));
  }

  function hashFromLuma(luma, rows, cols) {
    if (rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM) {
      return { pdq: new Array(65).join("0"), quality: 0 };
    }
    var scratch = new Float32Array(rows * cols);
    jarosz(luma, scratch, rows, cols, windowSize(cols, 64), windowSize(rows, 64));

    var a = new Float32Array(64 * 64);
    for (var i = 0; i < 64; i++) {
      var ini = Math.floor(((i + 0.5) * rows) / 64);
      for (var j = 0; j < 64; j++) {
        var inj = Math.floor(((j + 0.5) * cols) / 64);
        a[i * 64 + j] = luma[ini * cols + inj];
      }
    }
    var quality = quality64(a);

    var t = new Float32Array(16 * 64);
    var k, sum;
    for (i = 0; i < 16; i++) {
      for (j = 0; j < 64; j++) {
        sum = 0;
        for (k = 0; k < 64; k++) sum = f32(sum + f32(DCT[i * 64 + k] * a[k * 64 + j]));
        t[i * 64 + j] = sum;
      }
    }
    var b = new Float32Array(256);
    for (i = 0; i < 16; i++) {
      for (j = 0; j < 16; j++) {
        sum = 0;
        for (k = 0; k < 64; k++) sum = f32(sum + f32(t[i * 64 + k] * DCT[j * 64 + k]));
        b[i * 16 + j] = sum;
      }
    }

    // Torben's median of 256 values is the 128th smallest.
    var sorted = Float32Array.from(b).sort();
    var median = sorted[127];
    // Bit i*16+j is bit j of 16-bit word i; the hex string lists words 15 down to 0.
    var words = new Array(16);
    for (i = 0; i < 16; i++) {
      var w = 0;
      for (j = 0; j < 16; j++) if (b[i * 16 + j] > median) w |= 1 << j;
      words[i] = w;
    }
    var hex = "";
    for (i = 15; i >= 0; i--) hex += (words[i] + 0x10000).toString(16).slice(1);
    return { pdq: hex, quality: quality };
  }

  function pdqFromRGBA(pixels, width, height, channels) {
    var step = channels || 4;
    var n = width * height;
    var luma = new Float32Array(n);
    // As the server's binding does: double-precision weights, then stored as float.
    for (var p = 0, q = 0; p < n; p++, q += step) {
      luma[p] = pixels[q] * LUMA_R + pixels[q + 1] * LUMA_G + pixels[q + 2] * LUMA_B;
    }
    return hashFromLuma(luma, height, width);
  }

  // -- MD5 (RFC 1321) ---------------------------------------------------------------------------
  var S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  var K = new Int32Array(64);
  for (var ki = 0; ki < 64; ki++) K[ki] = Math.floor(Math.abs(Math.sin(ki + 1)) * 4294967296);

  function md5(bytes) {
    var length = bytes.length;
    var padded = new Uint8Array(((length + 8) >>> 6) * 64 + 64);
    padded.set(bytes);
    padded[length] = 0x80;
    var view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
    view.setUint32(padded.length - 4, Math.floor(length / 0x20000000), true);
    var a0 = 0x67452301;
    var b0 = 0xefcdab89 | 0;
    var c0 = 0x98badcfe | 0;
    var d0 = 0x10325476;
    var m = new Int32Array(16);
    for (var off = 0; off < padded.length; off += 64) {
      for (var w = 0; w < 16; w++) m[w] = view.getInt32(off + w * 4, true);
      var a = a0;
      var b = b0;
      var c = c0;
      var d = d0;
      for (var i = 0; i < 64; i++) {
        var f, g;
        if (i < 16) {
          f = (b & c) | (~b & d);
          g = i;
        } else if (i < 32) {
          f = (d & b) | (~d & c);
          g = (5 * i + 1) & 15;
        } else if (i < 48) {
          f = b ^ c ^ d;
          g = (3 * i + 5) & 15;
        } else {
          f = c ^ (b | ~d);
          g = (7 * i) & 15;
        }
        var tmp = d;
        d = c;
        c = b;
        var x = (a + f + K[i] + m[g]) | 0;
        var s = S[(i >> 4) * 4 + (i & 3)];
        b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
        a = tmp;
      }
      a0 = (a0 + a) | 0;
      b0 = (b0 + b) | 0;
      c0 = (c0 + c) | 0;
      d0 = (d0 + d) | 0;
    }
    var out = "";
    [a0, b0, c0, d0].forEach(function (v) {
      for (var i = 0; i < 4; i++) out += (((v >>> (8 * i)) & 255) + 0x100).toString(16).slice(1);
    });
    return out;
  }

  function toHex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (x) {
        return (x + 0x100).toString(16).slice(1);
      })
      .join("");
  }

  // -- EXIF orientation ------------------------------------------------------------------------
  // Browsers rotate images by their EXIF orientation whatever createImageBitmap is told; the
  // server (like Meta's reference) hashes the stored pixels. So the orientation tag of a copy of
  // the file is set to 1 ("as stored") before decoding. JPEG APP1, PNG eXIf, WebP EXIF.

  function patchTiffOrientation(b, start, end) {
    if (start + 8 > end) return false;
    var little = b[start] === 0x49 && b[start + 1] === 0x49;
    if (!little && !(b[start] === 0x4d && b[start + 1] === 0x4d)) return false;
    function u16(o) {
      return little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
    }
    function u32(o) {
      return little
        ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
        : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    }
    var ifd = start + u32(start + 4);
    if (ifd + 2 > end) return false;
    var count = u16(ifd);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > end) return false;
      if (u16(entry) === 0x0112) {
        if (u16(entry + 8) === 1) return false;
        b[entry + 8] = little ? 1 : 0;
        b[entry + 9] = little ? 0 : 1;
        return true;
      }
    }
    return false;
  }

  var CRC_TABLE = null;
  function crc32(b, start, end) {
    if (!CRC_TABLE) {
      CRC_TABLE = new Int32Array(256);
      for (var n = 0; n < 256; n++) {
        var c = n;
        for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        CRC_TABLE[n] = c;
      }
    }
    var crc = -1;
    for (var i = start; i < end; i++) crc = CRC_TABLE[(crc ^ b[i]) & 255] ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  }

  function isExifPrefix(b, o) {
    // "Exif\0\0"
    return b[o] === 0x45 && b[o + 1] === 0x78 && b[o + 2] === 0x69 && b[o + 3] === 0x66 &&
      b[o + 4] === 0 && b[o + 5] === 0;
  }

  // Return a copy of the file's bytes with its EXIF orientation set to 1, or null if none is set.
  function withStoredOrientation(bytes) {
    var b = new Uint8Array(bytes);
    var n = b.length;
    var pos, len;
    if (n > 4 && b[0] === 0xff && b[1] === 0xd8) {
      pos = 2;
      while (pos + 4 <= n && b[pos] === 0xff) {
        var marker = b[pos + 1];
        if (marker === 0xda || marker === 0xd9) break; // image data starts: no more metadata
        len = (b[pos + 2] << 8) | b[pos + 3];
        if (marker === 0xe1 && isExifPrefix(b, pos + 4)) {
          return patchTiffOrientation(b, pos + 10, Math.min(n, pos + 2 + len)) ? b : null;
        }
        pos += 2 + len;
      }
      return null;
    }
    if (n > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
      pos = 8;
      while (pos + 12 <= n) {
        len = ((b[pos] << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8) | b[pos + 3]) >>> 0;
        var type = String.fromCharCode(b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]);
        var data = pos + 8;
        if (type === "IDAT" || data + len + 4 > n) return null;
        if (type === "eXIf") {
          var tiff = isExifPrefix(b, data) ? data + 6 : data;
          if (!patchTiffOrientation(b, tiff, data + len)) return null;
          var crc = crc32(b, pos + 4, data + len); // chunk type and data
          b[data + len] = crc >>> 24;
          b[data + len + 1] = (crc >>> 16) & 255;
          b[data + len + 2] = (crc >>> 8) & 255;
          b[data + len + 3] = crc & 255;
          return b;
        }
        pos = data + len + 4;
      }
      return null;
    }
    if (n > 12 && String.fromCharCode(b[0], b[1], b[2], b[3], b[8], b[9], b[10], b[11]) ===
        "RIFFWEBP") {
      pos = 12;
      while (pos + 8 <= n) {
        var fourcc = String.fromCharCode(b[pos], b[pos + 1], b[pos + 2], b[pos + 3]);
        len = (b[pos + 4] | (b[pos + 5] << 8) | (b[pos + 6] << 16) | (b[pos + 7] << 24)) >>> 0;
        if (fourcc === "EXIF") {
          var at = isExifPrefix(b, pos + 8) ? pos + 14 : pos + 8;
          return patchTiffOrientation(b, at, Math.min(n, pos + 8 + len)) ? b : null;
        }
        pos += 8 + len + (len & 1);
      }
    }
    return null;
  }

  // Decode as the server does: no colour management, alpha not applied, no EXIF rotation.
  function decode(file, bytes) {
    var patched = withStoredOrientation(bytes);
    var source = patched ? new Blob([patched], { type: file.type }) : file;
    return createImageBitmap(source, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    }).then(function (bitmap) {
      var width = bitmap.width;
      var height = bitmap.height;
      var canvas =
        typeof OffscreenCanvas !== "undefined"
          ? new OffscreenCanvas(width, height)
          : Object.assign(document.createElement("canvas"), { width: width, height: height });
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      bitmap.close();
      return { pixels: ctx.getImageData(0, 0, width, height).data, width: width, height: height };
    });
  }

  function hashFile(file) {
    return file.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      var md5hex = md5(bytes);
      // SHA-256 needs a secure context (HTTPS or localhost); MD5 and PDQ do not.
      var sha =
        root.crypto && root.crypto.subtle
          ? root.crypto.subtle.digest("SHA-256", bytes).then(toHex)
          : Promise.resolve(null);
      return Promise.all([sha, decode(file, bytes)]).then(function (results) {
        var image = results[1];
        var pdq = pdqFromRGBA(image.pixels, image.width, image.height, 4);
        return {
          md5: md5hex,
          sha256: results[0],
          pdq: pdq.pdq,
          quality: pdq.quality,
          width: image.width,
          height: image.height,
        };
      });
    });
  }

  var api = {
    hashFile: hashFile,
    pdqFromRGBA: pdqFromRGBA,
    md5: md5,
    withStoredOrientation: withStoredOrientation,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.OpenHotlineHashing = api;
})(typeof self !== "undefined" ? self : this);
