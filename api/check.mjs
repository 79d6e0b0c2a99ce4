// Builds the API model with typedoc (no output files), runs typedoc's validation (missing docs,
// broken links), and lists every top-level export with no documentation or no @example.
// Exit 1 if typedoc warned or anything is listed.
// `node check.mjs [package-name-part]` limits the listing (e.g. `core`, `layers`).
import { Application, ReflectionKind } from 'typedoc';

const only = process.argv[2];
// Sources on, for FILE:LINE in the listing; no git lookup (a clone's remote is no web host).
const app = await Application.bootstrapWithPlugins({ options: 'typedoc.json', logLevel: 'Warn',
  disableSources: false, disableGit: true, sourceLinkTemplate: '{path}#L{line}' });
const project = await app.convert();
if (!project) throw new Error('typedoc could not convert the project');
app.validate(project);

const EXPORTS = ReflectionKind.Function | ReflectionKind.Class | ReflectionKind.Interface |
  ReflectionKind.TypeAlias | ReflectionKind.Variable | ReflectionKind.Enum;
const MEMBERS = ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor |
  ReflectionKind.Constructor | ReflectionKind.EnumMember;

/** The comments that document r: its own, or its signatures' (functions, methods, accessors). */
function comments(r) {
  const sigs = [...(r.signatures ?? []), ...(r.getSignature ? [r.getSignature] : []),
    ...(r.setSignature ? [r.setSignature] : [])];
  return [r.comment, ...sigs.map((s) => s.comment)].filter(Boolean);
}
const documented = (r) => comments(r).some((c) => c.summary.some((p) => p.text.trim() !== '') ||
  c.blockTags.length > 0);
const hasExample = (r) => comments(r).some((c) => c.blockTags.some((t) => t.tag === '@example'));

const where = (r) => {
  const s = r.sources?.[0] ?? r.signatures?.[0]?.sources?.[0];
  return s ? `${s.fileName}:${s.line}` : '?';
};

const problems = [];
for (const mod of project.children ?? []) {
  if (only && !mod.name.includes(only)) continue;
  for (const r of mod.children ?? []) {
    if (!r.kindOf(EXPORTS)) continue;
    if (!documented(r)) problems.push(`${where(r)}  ${r.name}: no documentation`);
    else if (!hasExample(r) && !r.kindOf(ReflectionKind.Interface | ReflectionKind.TypeAlias)) {
      problems.push(`${where(r)}  ${r.name}: no @example`);
    }
    for (const m of r.children ?? []) {
      // Members that implement or override a documented contract take its documentation.
      if (!m.kindOf(MEMBERS) || m.flags.isPrivate || m.flags.isProtected || m.inheritedFrom ||
        m.implementationOf || m.overwrites) {
        continue;
      }
      if (m.kindOf(ReflectionKind.Constructor) && documented(r)) continue;
      if (!documented(m)) problems.push(`${where(m)}  ${r.name}.${m.name}: no documentation`);
    }
  }
}
for (const p of problems.sort()) console.log(p);
const warnings = app.logger.warningCount + app.logger.errorCount;
console.log(`${problems.length} problem(s), ${warnings} typedoc warning(s)`);
process.exit(problems.length || warnings ? 1 : 0);
