import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import fc from 'fast-check';

type Schema = SchemaObject | ReferenceObject;

/** Strings that often break parsers and databases, mixed into every generated string. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '__proto__',
  'constructor',
  '%',
  '😀',
  '1e309',
];

/** Strings of any code point (NUL, controls, astral), short enough to keep requests quick. */
export const anyString = ({ minLength = 0, maxLength = 40 } = {}) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength, maxLength }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...NASTY)
        .filter((s) => s.length >= minLength && s.length <= maxLength),
    },
  );

/** Any JSON value, a few levels deep. */
export const anyJson = () => fc.jsonValue({ maxDepth: 3 });

/**
 * fast-check arbitraries built from the OpenAPI document's own schemas: `valid(schema)`
 * generates values the schema accepts, `invalid(schema)` values it refuses (one broken
 * rule at a time: a wrong type, a missing required property, an unknown one, a bound
 * crossed, a value outside the enum or the pattern).
 */
export class SchemaArbitraries {
  constructor(private readonly document: OpenAPIObject) {}

  resolve(schema: Schema): SchemaObject {
    if (!('$ref' in schema)) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = this.document.components?.schemas?.[name];
    if (!target) throw new Error(`unknown $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  valid(input: Schema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const value = this.nonNull(schema);
    return schema.nullable ? fc.option(value, { nil: null, freq: 5 }) : value;
  }

  private nonNull(schema: SchemaObject): fc.Arbitrary<unknown> {
    if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
    const choices = schema.oneOf ?? schema.anyOf;
    if (choices) return fc.oneof(...choices.map((choice) => this.valid(choice)));
    if (schema.allOf?.length === 1) return this.valid(schema.allOf[0]);
    switch (schema.type) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return fc.oneof(
          fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 }),
          // Unbounded integers are valid at any size: past 32 bits, 2^53 and 64 bits too.
          ...(schema.maximum === undefined ? [fc.constantFrom(2 ** 31, 2 ** 53, 1e20)] : []),
        );
      case 'number':
        return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(schema.items ? this.valid(schema.items) : anyJson(), {
          minLength: schema.minItems,
          maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
        });
      case 'object':
        return this.object(schema);
      default:
        return anyJson();
    }
  }

  private string(schema: SchemaObject): fc.Arbitrary<string> {
    const length = { minLength: schema.minLength, maxLength: schema.maxLength };
    const fits = (s: string) =>
      [...s].length >= (schema.minLength ?? 0) &&
      [...s].length <= (schema.maxLength ?? Number.MAX_SAFE_INTEGER);
    switch (schema.format) {
      case 'uuid':
        return fc.uuid();
      case 'email':
        return fc.emailAddress().filter(fits);
      case 'date-time':
        return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
    }
    if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern, 'u')).filter(fits);
    return anyString({ ...length, maxLength: Math.min(schema.maxLength ?? 40, 40) }).filter(fits);
  }

  private object(schema: SchemaObject): fc.Arbitrary<Record<string, unknown>> {
    const properties = schema.properties ?? {};
    const names = Object.keys(properties);
    if (names.length === 0) {
      return schema.additionalProperties === false
        ? fc.constant({})
        : fc.dictionary(anyString({ minLength: 1, maxLength: 10 }), anyJson(), { maxKeys: 3 });
    }
    return fc.record(
      Object.fromEntries(names.map((name) => [name, this.valid(properties[name])])),
      { requiredKeys: (schema.required ?? []).filter((name) => names.includes(name)) },
    );
  }

  invalid(input: Schema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const broken: fc.Arbitrary<unknown>[] = [this.wrongType(schema)];
    if (schema.enum) {
      broken.push(anyString().filter((s) => !(schema.enum as unknown[]).includes(s)));
    }
    if (schema.type === 'string' && (schema.pattern || schema.format)) broken.push(anyString());
    if (schema.maxLength !== undefined) {
      broken.push(fc.constant('x'.repeat(schema.maxLength + 1)));
    }
    if (schema.minLength) broken.push(fc.constant(''));
    if (schema.type === 'integer') {
      broken.push(fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }));
      if (schema.maximum !== undefined) broken.push(fc.integer({ min: schema.maximum + 1 }));
      if (schema.minimum !== undefined) broken.push(fc.integer({ max: schema.minimum - 1 }));
    }
    if (schema.type === 'object') broken.push(...this.brokenObjects(schema));
    return fc.oneof(...broken);
  }

  /** A JSON value of another type than the schema's (null only when it is not nullable). */
  private wrongType(schema: SchemaObject): fc.Arbitrary<unknown> {
    const byType: Record<string, fc.Arbitrary<unknown>> = {
      string: anyString(),
      integer: fc.integer(),
      number: fc.double({ noNaN: true, noDefaultInfinity: true }),
      boolean: fc.boolean(),
      array: fc.array(anyJson(), { maxLength: 2 }),
      object: fc.dictionary(anyString({ maxLength: 5 }), anyJson(), { maxKeys: 2 }),
    };
    const others = Object.entries(byType)
      .filter(([type]) => type !== schema.type && !(type === 'number' && schema.type === 'integer'))
      .map(([, arbitrary]) => arbitrary);
    if (!schema.nullable) others.push(fc.constant(null));
    return fc.oneof(...others);
  }

  /** The object's valid form with one property missing, broken, or one unknown added. */
  private brokenObjects(schema: SchemaObject): fc.Arbitrary<unknown>[] {
    const properties = schema.properties ?? {};
    const valid = this.object(schema);
    const broken: fc.Arbitrary<unknown>[] = [];
    const required = schema.required ?? [];
    if (required.length) {
      broken.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([value, name]) => {
          const copy = { ...value };
          delete copy[name];
          return copy;
        }),
      );
    }
    const names = Object.keys(properties);
    if (names.length) {
      broken.push(
        fc
          .constantFrom(...names)
          .chain((name) =>
            fc
              .tuple(valid, this.invalid(properties[name]))
              .map(([value, bad]) => ({ ...value, [name]: bad })),
          ),
      );
    }
    if (schema.additionalProperties === false) {
      broken.push(
        fc
          .tuple(valid, anyString({ minLength: 1, maxLength: 12 }), anyJson())
          .filter(([, name]) => !names.includes(name))
          .map(([value, name, extra]) => ({ ...value, [name]: extra })),
      );
    }
    return broken;
  }
}
