// Makes the embedded database's prepared cluster (dist/pglite-template.tar.gz): a data dir's first start unpacks it
// instead of running initdb in the coordinator's process (see src/db/pglite-template.ts). Kept while the engine's
// version is unchanged.
import { templateIsCurrent, writeTemplate } from '../dist/db/pglite-template.js';

if (!(await templateIsCurrent())) await writeTemplate();
