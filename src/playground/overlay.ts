// Draws an image answer over the photo: an SVG in the photo's own pixel
// coordinates (the answers are in original-image pixels), scaled with it.

import type { ModelMetadata } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
interface Point {
  readonly x: number;
  readonly y: number;
}
interface Detection {
  readonly score: number;
  readonly box: Box;
  readonly label?: string;
  readonly keypoints?: readonly Point[];
}
interface ClassScore {
  readonly label: string;
  readonly index: number;
  readonly score: number;
}
interface Mask {
  readonly mask: string;
  readonly width: number;
  readonly height: number;
  readonly classes: number;
  /** The classes present, largest first (class masks). */
  readonly shares?: readonly { readonly index: number; readonly label: string; readonly share: number }[];
}

const svgElement = <K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
): SVGElementTagNameMap[K] => {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
};

const percent = (score: number): string => `${(score * 100).toFixed(score >= 0.995 ? 0 : 1)}%`;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Stroke widths and text in photo pixels, so that they look the same on a small or a large photo. */
const scaleOf = (width: number, height: number): number => Math.max(1, Math.max(width, height) / 400);

const drawDetections = (svg: SVGSVGElement, detections: readonly Detection[], unit: number): void => {
  for (const [i, d] of detections.entries()) {
    const group = svgElement('g', { class: 'detection', 'data-index': i });
    group.append(
      svgElement('rect', {
        class: 'box',
        x: d.box.x,
        y: d.box.y,
        width: d.box.width,
        height: d.box.height,
        'stroke-width': 2 * unit,
        'data-score': d.score,
      }),
    );
    const label = svgElement('text', {
      class: 'label',
      x: d.box.x,
      y: Math.max(12 * unit, d.box.y - 4 * unit),
      'font-size': 13 * unit,
    });
    label.textContent = `${d.label ?? 'face'} ${percent(d.score)}`;
    group.append(label);
    for (const k of d.keypoints ?? [])
      group.append(svgElement('circle', { class: 'keypoint', cx: k.x, cy: k.y, r: 2.5 * unit }));
    svg.append(group);
  }
};

const drawLandmarks = (
  svg: SVGSVGElement,
  points: readonly Point[],
  metadata: ModelMetadata | undefined,
  unit: number,
): void => {
  const names = metadata?.parameters.landmarkNames;
  for (const [a, b] of metadata?.parameters.landmarkEdges ?? []) {
    const from = points[a];
    const to = points[b];
    if (from && to)
      svg.append(
        svgElement('line', { class: 'edge', x1: from.x, y1: from.y, x2: to.x, y2: to.y, 'stroke-width': 2 * unit }),
      );
  }
  for (const [i, p] of points.entries()) {
    const dot = svgElement('circle', { class: 'landmark', cx: p.x, cy: p.y, r: 3 * unit, 'data-index': i });
    const name = names?.[i];
    if (name) {
      const title = svgElement('title', {});
      title.textContent = name;
      dot.append(title);
    }
    svg.append(dot);
  }
};

/** Colours a grayscale mask PNG: one class's probability as alpha, or a colour per class index. */
const colourMask = async (mask: Mask): Promise<string> => {
  const image = new Image();
  image.src = `data:image/png;base64,${mask.mask}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d')!;
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const data = pixels.data;
  for (let i = 0; i < data.length; i += 4) {
    const value = data[i]!;
    if (mask.classes === 1) {
      data[i] = 255;
      data[i + 1] = 0;
      data[i + 2] = 170;
      data[i + 3] = Math.round(value * 0.6);
    } else {
      const [r, g, b] = classColour(value);
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = value === 0 ? 0 : 150;
    }
  }
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL('image/png');
};

const hsl = (h: number, s: number, l: number): [number, number, number] => {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
};

/** Class 0 is background (left clear); the others get well-separated hues, the same in the mask and the list. */
const classColour = (index: number): [number, number, number] => hsl((index * 137.508) % 360, 0.8, 0.5);

/** Classes as bars: scores, or a mask's shares of the photo with each class's colour beside it. */
const drawClasses = (list: HTMLElement, classes: readonly ClassScore[], coloured = false): void => {
  for (const c of classes) {
    const row = document.createElement('li');
    row.className = 'class';
    row.dataset.score = String(c.score);
    const name = document.createElement('span');
    name.className = 'class-label';
    name.textContent = c.label;
    if (coloured) {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.dataset.index = String(c.index);
      swatch.style.background = c.index === 0 ? 'transparent' : `rgb(${classColour(c.index).join(', ')})`;
      name.prepend(swatch);
    }
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.max(0, Math.min(1, c.score)) * 100}%`;
    const value = document.createElement('span');
    value.className = 'class-score';
    value.textContent = percent(c.score);
    row.append(name, bar, value);
    list.append(row);
  }
};

/** Removes what was drawn, keeping the overlay's accessible title. */
const clearOverlay = (svg: SVGSVGElement): void => {
  for (const child of [...svg.children]) if (child.tagName !== 'title') child.remove();
};

/**
 * Draws the first prediction of a :predict answer: boxes with labels and
 * scores, keypoints, landmarks and their skeleton, a blended mask, or the
 * top classes as bars. Returns what it drew, for the caption.
 */
const drawAnswer = async (
  svg: SVGSVGElement,
  classList: HTMLElement,
  size: { width: number; height: number },
  prediction: unknown,
  metadata: ModelMetadata | undefined,
): Promise<string> => {
  clearOverlay(svg);
  classList.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${size.width} ${size.height}`);
  const unit = scaleOf(size.width, size.height);
  if (!isObject(prediction)) return 'nothing to draw';
  if (Array.isArray(prediction.detections)) {
    drawDetections(svg, prediction.detections as Detection[], unit);
    return `${prediction.detections.length} detection${prediction.detections.length === 1 ? '' : 's'}`;
  }
  if (Array.isArray(prediction.landmarks)) {
    drawLandmarks(svg, prediction.landmarks as Point[], metadata, unit);
    return `${prediction.landmarks.length} landmarks`;
  }
  if (Array.isArray(prediction.classes)) {
    drawClasses(classList, prediction.classes as ClassScore[]);
    return `top ${prediction.classes.length} classes`;
  }
  if (typeof prediction.mask === 'string') {
    const mask = prediction as unknown as Mask;
    svg.append(
      svgElement('image', {
        class: 'mask',
        href: await colourMask(mask),
        x: 0,
        y: 0,
        width: size.width,
        height: size.height,
        preserveAspectRatio: 'none',
      }),
    );
    if (mask.shares) {
      const shares = mask.shares.map((s) => ({ label: s.label, index: s.index, score: s.share }));
      drawClasses(classList, shares, true);
    }
    return `mask, ${mask.classes === 1 ? 'one class' : `${mask.classes} classes, ${mask.shares?.length ?? 0} in the photo`}`;
  }
  return 'raw tensors (see the answer below)';
};

export { clearOverlay, drawAnswer };
