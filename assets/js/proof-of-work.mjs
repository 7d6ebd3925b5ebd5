// Pays the small cost the server asks before a phrase lookup or a final submit
// (app/web/proof_of_work.py): finds a counter whose SHA-256 with the signed
// challenge starts with the asked number of zero bits, about a second on a
// phone, and puts it in the form's hidden "proof" field. It starts as the page
// loads, so usually it is done before the person presses the button. Without
// JavaScript the server accepts waiting instead.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Uint32Array(64);

// SHA-256 of ASCII bytes; returns the first two 32-bit words (enough to count zero bits).
export function sha256Head(bytes) {
  const length = bytes.length;
  const blocks = ((length + 9 + 63) >> 6) << 6;
  const padded = new Uint8Array(blocks);
  padded.set(bytes);
  padded[length] = 0x80;
  const bitLength = length * 8;
  padded[blocks - 4] = bitLength >>> 24;
  padded[blocks - 3] = bitLength >>> 16;
  padded[blocks - 2] = bitLength >>> 8;
  padded[blocks - 1] = bitLength;
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let offset = 0; offset < blocks; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      W[i] = (padded[j] << 24) | (padded[j + 1] << 16) | (padded[j + 2] << 8) | padded[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  return [h0 >>> 0, h1 >>> 0];
}

function ascii(text) {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0x7f;
  return bytes;
}

function leadingZeroBits([first, second]) {
  return first === 0 ? 32 + Math.clz32(second) : Math.clz32(first);
}

// Resolves with the first counter (as text) that meets `bits`; yields to the page between rounds.
export function solve(token, bits) {
  return new Promise((resolve) => {
    let counter = 0;
    const step = () => {
      for (let end = counter + 4000; counter < end; counter++) {
        if (leadingZeroBits(sha256Head(ascii(`${token}:${counter}`))) >= bits) {
          resolve(String(counter));
          return;
        }
      }
      setTimeout(step, 0);
    };
    step();
  });
}

export function initProofOfWork(root = document) {
  for (const challenge of root.querySelectorAll("input[data-proof-of-work-bits]")) {
    const form = challenge.form;
    const proof = form && form.elements.namedItem("proof");
    if (!proof) continue;
    let solved = false;
    let waiting = false;
    solve(challenge.value, Number(challenge.dataset.proofOfWorkBits)).then((answer) => {
      proof.value = answer;
      solved = true;
      // The form's own button is named "submit", which hides form.submit(): ask the form
      // to submit itself again (this time the proof is there, so it goes through).
      if (waiting) HTMLFormElement.prototype.requestSubmit.call(form);
    });
    form.addEventListener("submit", (event) => {
      if (solved) return;
      // Hold the submission until the proof is ready (usually a moment); then send it.
      event.preventDefault();
      waiting = true;
    });
  }
}
