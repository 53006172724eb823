// Entry point of the admin page bundle.
import { html, render } from 'htm/preact';
import { App } from './app.ts';
import './style.css';

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
