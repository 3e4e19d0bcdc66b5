export const classifyCommands: import('../args.js').Command[] = [];
