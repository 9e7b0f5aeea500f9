/** The stopword package ships no types: one array of lower-case words per ISO 639-3 code. */
declare module "stopword";
