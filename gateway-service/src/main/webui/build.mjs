// Bundles the browser app into the directory Quarkus serves at / (META-INF/resources on the classpath).
//
//   node build.mjs                     production build into ../../../target/classes/META-INF/resources
//   node build.mjs --outdir=DIR        same, into DIR (Maven passes ${project.build.outputDirectory}/...)
//   node build.mjs --watch             rebuild on every change (with `mvn quarkus:dev`, reload the page)
//   node build.mjs --tests             bundle the unit tests (test/*.test.ts) for node's test runner
//
// Output: index.html, app.js (one ES module, no runtime dependencies) and app.css, under stable names: the gateway
// serves them with its own caching headers, and the tests and README refer to them.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const outdirArg = args.find((a) => a.startsWith('--outdir='));
const outdir = path.resolve(here, outdirArg ? outdirArg.slice('--outdir='.length) : '../../../target/classes/META-INF/resources');

if (!args.includes('--tests')) {
  await mkdir(outdir, { recursive: true });
}

/** index.html is copied as is (it only links app.css and app.js). */
const copyHtml = {
  name: 'copy-html',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length === 0) {
        await copyFile(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
      }
    });
  },
};

const options = {
  absWorkingDir: here,
  entryPoints: [{ in: 'src/main.ts', out: 'app' }, { in: 'src/app.css', out: 'app' }],
  outdir,
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [copyHtml],
};

if (args.includes('--tests')) {
  // The app's logic that needs no DOM (the event feed, parsers) runs under node's test runner.
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: ['test/all.test.ts'],
    outfile: path.resolve(here, '../../../target/webui-tests/all.test.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ['node18'],
    logLevel: 'warning',
  });
} else if (watch) {
  const context = await esbuild.context({ ...options, logLevel: 'info' });
  await context.watch();
  console.log(`watching src/ → ${outdir}`);
} else {
  await esbuild.build(options);
}
