export { default } from './tooling/lint/eslint.config.js';
