import Type, { type TSchema } from 'typebox';

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable snake_case code' }),
    message: Type.String({ description: 'Plain words' }),
    field: Type.Optional(Type.String({ description: 'JSON path of the field at fault' })),
  }),
}, { $id: 'ErrorBody' });

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String()),
});

export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

export const ProjectParams = Type.Object({ project_id: Type.String() });

/** Responses every authenticated route may give besides its own. */
export const authErrors = {
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
} as const;

export const Timestamp = Type.String({ format: 'date-time' });
