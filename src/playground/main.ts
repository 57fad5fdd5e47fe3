// The playground page: pick a model, give it a photo, see the answer drawn.
// It only calls the public HTTP API, so it works against the local server
// or a deployed API (?api=https://... or the API field; CORS must allow it).

import { type ApiConfig, ApiError, listModels, type ModelMetadata, modelMetadata, predictImage } from './api.js';
import { renderModelCard, renderTimings } from './modelCard.js';
import { clearOverlay, drawAnswer } from './overlay.js';

const element = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const ui = {
  api: element<HTMLInputElement>('api'),
  token: element<HTMLInputElement>('token'),
  connect: element<HTMLButtonElement>('connect'),
  model: element<HTMLSelectElement>('model'),
  file: element<HTMLInputElement>('file'),
  drop: element<HTMLElement>('drop'),
  samples: element<HTMLElement>('samples'),
  photo: element<HTMLImageElement>('photo'),
  overlay: document.getElementById('overlay') as unknown as SVGSVGElement,
  classes: element<HTMLElement>('classes'),
  caption: element<HTMLElement>('caption'),
  error: element<HTMLElement>('error'),
  status: element<HTMLElement>('status'),
  timing: element<HTMLElement>('timing'),
  card: element<HTMLElement>('card'),
  raw: element<HTMLElement>('raw'),
};

const params = new URLSearchParams(location.search);
const state: { metadata?: ModelMetadata; photo?: Blob; run: number; selection: number } = { run: 0, selection: 0 };

const config = (): ApiConfig => ({
  base: ui.api.value.trim(),
  ...(ui.token.value.trim() && { token: ui.token.value.trim() }),
});

const showError = (error: unknown): void => {
  ui.timing.replaceChildren();
  const message = error instanceof ApiError ? error.message : `the page failed: ${(error as Error).message}`;
  ui.error.textContent = error instanceof ApiError && error.status > 0 ? `${error.status}: ${message}` : message;
  ui.error.hidden = false;
  ui.status.textContent = '';
  document.body.dataset.state = 'error';
};

const clearError = (): void => {
  ui.error.hidden = true;
  ui.error.textContent = '';
};

const selectModel = async (name: string): Promise<void> => {
  const selection = ++state.selection;
  clearError();
  state.metadata = undefined;
  ui.card.replaceChildren();
  try {
    const metadata = await modelMetadata(config(), name);
    // A later choice won: its card, not this one.
    if (selection !== state.selection) return;
    state.metadata = metadata;
    renderModelCard(ui.card, metadata);
  } catch (error) {
    if (selection === state.selection) showError(error);
    return;
  }
  if (state.photo) await run();
};

const connect = async (): Promise<void> => {
  clearError();
  localStorage.setItem('tfls-api', ui.api.value.trim());
  ui.model.replaceChildren();
  try {
    const models = await listModels(config());
    for (const m of models) {
      const option = document.createElement('option');
      option.value = m.name;
      option.textContent = m.state === 'AVAILABLE' ? m.name : `${m.name} (${m.state.toLowerCase()})`;
      ui.model.append(option);
    }
    const wanted = params.get('model');
    // A model asked for in the URL is tried even when the listing lacks it: the API says why not.
    if (wanted && !models.some((m) => m.name === wanted)) {
      const option = document.createElement('option');
      option.value = wanted;
      option.textContent = wanted;
      ui.model.append(option);
    }
    ui.model.value = wanted ?? models.find((m) => m.state === 'AVAILABLE')?.name ?? models[0]?.name ?? '';
    if (ui.model.value) await selectModel(ui.model.value);
    else showError(new ApiError('the repository has no models', 404));
  } catch (error) {
    showError(error);
  }
};

const showPhoto = async (photo: Blob): Promise<void> => {
  state.photo = photo;
  const url = URL.createObjectURL(photo);
  ui.photo.src = url;
  try {
    await ui.photo.decode();
  } catch {
    // Not an image the browser can show: the API still gets it and says what it thinks.
  }
  await run();
};

const run = async (): Promise<void> => {
  const photo = state.photo;
  const name = ui.model.value;
  if (!photo || !name) return;
  const run = ++state.run;
  clearError();
  document.body.dataset.state = 'running';
  ui.status.textContent = `asking ${name}...`;
  clearOverlay(ui.overlay);
  ui.classes.replaceChildren();
  try {
    const prediction = await predictImage(config(), name, photo);
    if (run !== state.run) return;
    const first = prediction.body.predictions?.[0];
    const size = { width: ui.photo.naturalWidth || 1, height: ui.photo.naturalHeight || 1 };
    ui.caption.textContent = await drawAnswer(ui.overlay, ui.classes, size, first, state.metadata);
    renderTimings(ui.timing, prediction);
    ui.raw.textContent = JSON.stringify(
      prediction.body,
      (key, value) =>
        key === 'mask' && typeof value === 'string' ? `${value.slice(0, 40)}... (${value.length} base64 chars)` : value,
      2,
    );
    ui.status.textContent = '';
    document.body.dataset.state = 'done';
  } catch (error) {
    if (run === state.run) showError(error);
  }
};

const loadSamples = async (): Promise<void> => {
  try {
    const response = await fetch('playground/samples.json');
    if (!response.ok) return;
    const names = (await response.json()) as string[];
    for (const name of names) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sample';
      button.dataset.sample = name;
      button.title = name;
      const thumb = document.createElement('img');
      thumb.src = `playground/samples/${encodeURIComponent(name)}`;
      thumb.alt = name;
      button.append(thumb);
      button.addEventListener('click', async () => {
        const photo = await fetch(thumb.src).then((r) => r.blob());
        await showPhoto(new File([photo], name, { type: photo.type }));
      });
      ui.samples.append(button);
    }
  } catch {
    // Samples are a convenience; the page works without them.
  }
};

ui.api.value = params.get('api') ?? localStorage.getItem('tfls-api') ?? '';
ui.connect.addEventListener('click', () => void connect());
ui.model.addEventListener('change', () => void selectModel(ui.model.value));
ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void showPhoto(file);
});
ui.drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) void showPhoto(file);
});
void loadSamples();
void connect();
