/**
 * The one mathjs instance hermode uses (parse, node constructors, derivative, simplify, toTex): the
 * library's default instance, so loading creates it once. The bundle (dist/) resolves 'mathjs' to the
 * single-file build, whose namespace is that instance; the ES-module build exports the same names.
 */
import * as mathjs from 'mathjs';

export const math = mathjs as unknown as import('mathjs').MathJsInstance;
export type MathNode = import('mathjs').MathNode;
