// English messages for zod's "mini" schemas, which, unlike the classic ones,
// carry no locale of their own ("Invalid input" for every problem otherwise).
// Only English is imported, so the other locales stay out of the bundles.

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
