#!/usr/bin/env node
// Launcher only. The CLI is built from src/ into dist/ by `npm run build` (run by `npm ci`).
import '../dist/runbook.js';
