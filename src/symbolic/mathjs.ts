/** One shared mathjs instance (parse, node constructors, toTex). */
import { create, all } from 'mathjs';
export const math = create(all, {});
export type MathNode = import('mathjs').MathNode;
